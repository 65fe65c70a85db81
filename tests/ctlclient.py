#!/usr/bin/env python3
"""ctlclient.py SOCKET COMMAND [ARGS]: a raw client of corral serve's
control socket (docs/protocol.md, "Control socket") that misbehaves on
purpose, for tests/41-serve-clients.t. It speaks the framing by hand (a
4-byte big-endian length, then one msgpack map) with its own small msgpack
encoder and decoder, so that it can send what no real client would.

  malformed DIR     the malformed requests below, one at a time and then
                    all in one write: each answered by one ERROR
                    (bad_request or unsupported) with the request's rid
                    where it has a readable one, the connection usable
                    after them; a well-formed SUBMIT of DIR is accepted
                    first, so each refusal is its mutation's
  prehello          a request before HELLO: ERROR unsupported; then HELLO
                    and JOBS are answered
  version           HELLO of another version: ERROR unsupported, closed
  badlen N          after HELLO, a length prefix of N: closed, no answer
  twoclose PID      with the service (PID) stopped, one client sends a
                    length prefix of 0 and another hangs up, in one order and
                    then the other; continued, the service closes both
  stall FILE        [nohello] HELLO (unless nohello), then half a frame;
                    touches FILE, then waits to be killed
  noread JOB READY GO  HELLO, then RESULTS of JOB never read; touches
                    READY; once GO exists, sends JOBS requests without
                    reading until the service closes the connection
  named HEX DIR     a SUBMIT of DIR (sha256) under a name of any bytes but
                    NUL, given in hex, as no corral client would send it:
                    accepted (OK), for tests/57-metrics.t

Exit status 0 when the service did what the command expects, 1 when it did
not (what went wrong on stdout, each line starting with '#'), 2 for a usage
error. Every wait is bounded (socket timeouts), never a condition by itself."""
import os
import random
import signal
import socket
import struct
import sys
import time

WAIT = 60.0	# seconds any answer may take before the test gives up

T_HELLO, T_SUBMIT, T_JOBS, T_STATUS, T_RESULTS = 16, 17, 18, 19, 20
T_WORKERS, T_CHECK, T_ERROR, T_JOB, T_WORKER, T_END = 26, 28, 33, 34, 36, 39
# The protocol's version, as ipc/ipc.h has it.
def _proto():
	import re
	here = os.path.dirname(os.path.abspath(__file__))
	with open(os.path.join(here, '..', 'ipc', 'ipc.h')) as f:
		return int(re.search(r'#define IPC_PROTO_VERSION (\d+)', f.read()).group(1))


PROTO = _proto()


# ---- msgpack, the few shapes the control socket uses ----

def pk(o):
	"""One msgpack object: None, bool, int, float, str, bytes, list, dict."""
	if o is None:
		return b'\xc0'
	if o is True:
		return b'\xc3'
	if o is False:
		return b'\xc2'
	if isinstance(o, int):
		if 0 <= o < 128:
			return bytes([o])
		if o >= 0:
			for tag, fmt, top in ((0xcc, '>B', 1 << 8), (0xcd, '>H', 1 << 16),
			    (0xce, '>I', 1 << 32), (0xcf, '>Q', 1 << 64)):
				if o < top:
					return bytes([tag]) + struct.pack(fmt, o)
		if o >= -32:
			return struct.pack('>b', o)
		return b'\xd3' + struct.pack('>q', o)
	if isinstance(o, float):
		return b'\xcb' + struct.pack('>d', o)
	if isinstance(o, str):
		o = o.encode()
		n = len(o)
		if n < 32:
			return bytes([0xa0 | n]) + o
		if n < 256:
			return b'\xd9' + struct.pack('>B', n) + o
		if n < 65536:
			return b'\xda' + struct.pack('>H', n) + o
		return b'\xdb' + struct.pack('>I', n) + o
	if isinstance(o, bytes):
		n = len(o)
		if n < 256:
			return b'\xc4' + struct.pack('>B', n) + o
		if n < 65536:
			return b'\xc5' + struct.pack('>H', n) + o
		return b'\xc6' + struct.pack('>I', n) + o
	if isinstance(o, list):
		return head(0x90, 0xdc, len(o)) + b''.join(pk(x) for x in o)
	if isinstance(o, dict):
		return rawmap([(pk(k), pk(v)) for k, v in o.items()])
	raise TypeError(o)


def head(fix, tag16, n):
	if n < 16:
		return bytes([fix | n])
	if n < 65536:
		return bytes([tag16]) + struct.pack('>H', n)
	return bytes([tag16 + 1]) + struct.pack('>I', n)


def rawmap(pairs):
	"""A map of already packed keys and values: any key, any twice."""
	return head(0x80, 0xde, len(pairs)) + b''.join(k + v for k, v in pairs)


def unpk(b, i=0):
	"""The object at b[i:] and the offset after it."""
	c = b[i]
	i += 1
	if c < 0x80:
		return c, i
	if c >= 0xe0:
		return c - 256, i
	if 0x80 <= c <= 0x8f:
		return unmap(b, i, c & 0x0f)
	if 0x90 <= c <= 0x9f:
		return unarray(b, i, c & 0x0f)
	if 0xa0 <= c <= 0xbf:
		n = c & 0x1f
		return b[i:i + n].decode('utf-8', 'replace'), i + n
	simple = {0xc0: None, 0xc2: False, 0xc3: True}
	if c in simple:
		return simple[c], i
	sizes = {0xcc: '>B', 0xcd: '>H', 0xce: '>I', 0xcf: '>Q', 0xd0: '>b', 0xd1: '>h',
	    0xd2: '>i', 0xd3: '>q', 0xca: '>f', 0xcb: '>d'}
	if c in sizes:
		n = struct.calcsize(sizes[c])
		return struct.unpack(sizes[c], b[i:i + n])[0], i + n
	lens = {0xc4: ('>B', bytes), 0xc5: ('>H', bytes), 0xc6: ('>I', bytes),
	    0xd9: ('>B', str), 0xda: ('>H', str), 0xdb: ('>I', str)}
	if c in lens:
		fmt, kind = lens[c]
		w = struct.calcsize(fmt)
		n = struct.unpack(fmt, b[i:i + w])[0]
		i += w
		v = b[i:i + n]
		return (v.decode('utf-8', 'replace') if kind is str else v), i + n
	if c in (0xdc, 0xdd, 0xde, 0xdf):
		fmt = '>H' if c in (0xdc, 0xde) else '>I'
		w = struct.calcsize(fmt)
		n = struct.unpack(fmt, b[i:i + w])[0]
		return (unarray if c < 0xde else unmap)(b, i + w, n)
	raise ValueError('msgpack byte %#x' % c)


def unarray(b, i, n):
	out = []
	for _ in range(n):
		v, i = unpk(b, i)
		out.append(v)
	return out, i


def unmap(b, i, n):
	out = {}
	for _ in range(n):
		k, i = unpk(b, i)
		v, i = unpk(b, i)
		out[k] = v
	return out, i


# ---- the connection ----

def frame(body):
	return struct.pack('>I', len(body)) + body


def connect(path):
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.settimeout(WAIT)
	s.connect(path)
	return s


def recv_exact(s, n):
	"""n bytes, or None at the end of the stream."""
	b = b''
	while len(b) < n:
		try:
			got = s.recv(n - len(b))
		except ConnectionResetError:
			return None
		if not got:
			return None
		b += got
	return b


def recv_msg(s):
	"""The next answer as a dict, or None when the service closed."""
	h = recv_exact(s, 4)
	if h is None:
		return None
	body = recv_exact(s, struct.unpack('>I', h)[0])
	if body is None:
		return None
	m, end = unpk(body)
	if end != len(body) or not isinstance(m, dict):
		raise ValueError('an answer that is not one map')
	return m


def hello(s, rid=1):
	s.sendall(frame(pk({'t': T_HELLO, 'rid': rid, 'v': PROTO})))
	m = recv_msg(s)
	if m is None or m.get('t') != T_HELLO or m.get('rid') != rid:
		raise ValueError('no HELLO back: %r' % (m,))


def stream(s, rid):
	"""The answers of one request up to its END; None if it ended otherwise."""
	got = []
	while True:
		m = recv_msg(s)
		if m is None or m.get('rid') != rid:
			return None
		if m.get('t') == T_END:
			return got
		if m.get('t') == T_ERROR:
			return None
		got.append(m)


def closed(s):
	"""Whether the service closes the connection, sending nothing more."""
	try:
		return recv_exact(s, 1) is None
	except socket.timeout:
		return False


def touch(path):
	with open(path, 'w'):
		pass


def fail(msg):
	print('# ' + msg)
	sys.exit(1)


# ---- the malformed requests ----

OPTS = pk({'max_depth': 3})


def submit(**change):
	"""A SUBMIT the service accepts, but for what change says (None: left out)."""
	m = {'t': T_SUBMIT, 'rid': 5, 'inputs': [b'/nonexistent-but-absolute'],
	    'handler': 'sha256', 'timeout_ms': 60000, 'retries': 1, 'halt_rate': 0.0,
	    'halt_min': 0, 'priority': 10, 'opts': OPTS, 'wait': False}
	for k, v in change.items():
		if v is None:
			del m[k]
		else:
			m[k] = v
	return pk(m)


def malformed():
	"""(what, body, rid the ERROR must carry or None for either)."""
	cases = [
		# not one map
		('an integer', pk(1), 0),
		('a negative integer', pk(-1), 0),
		('a string', pk('jobs'), 0),
		('a bin', pk(b'jobs'), 0),
		('an array', pk([T_JOBS, 5]), 0),
		('nil', pk(None), 0),
		('true', pk(True), 0),
		('a float', pk(1.5), 0),
		('the never-used byte 0xc1', b'\xc1', 0),
		('an empty map', pk({}), 0),
		('a map cut short', pk({'t': T_JOBS, 'rid': 5})[:-1], None),
		('a map and a byte after it', pk({'t': T_JOBS, 'rid': 5}) + b'\xc0', None),
		('a map of 2 holding 1', b'\x82\xa1t' + pk(T_JOBS), None),
		('a map32 claiming 4G pairs', b'\xdf\xff\xff\xff\xff', None),
		('a str32 claiming 4 GiB', b'\xdb\xff\xff\xff\xff', None),
		# the type
		('no t', pk({'rid': 5}), 5),
		('t a string', pk({'t': 'jobs', 'rid': 5}), 5),
		('t a float', pk({'t': 18.0, 'rid': 5}), 5),
		('t negative', pk({'t': -18, 'rid': 5}), 5),
		('t nil', pk({'t': None, 'rid': 5}), 5),
		('t an array', pk({'t': [T_JOBS], 'rid': 5}), None),
		('t a map', pk({'t': {'x': 1}, 'rid': 5}), None),
		# the rid
		('rid a string', pk({'t': T_JOBS, 'rid': '5'}), 0),
		('rid negative', pk({'t': T_JOBS, 'rid': -5}), 0),
		('rid a float', pk({'t': T_JOBS, 'rid': 5.0}), 0),
		('no rid', pk({'t': T_JOBS}), 0),
		('rid nil', pk({'t': T_JOBS, 'rid': None}), 0),
		# the keys
		('an integer key', rawmap([(pk(1), pk(T_JOBS)), (pk('rid'), pk(5))]), None),
		('t twice', rawmap([(pk('t'), pk(T_JOBS)), (pk('t'), pk(T_JOBS)), (pk('rid'), pk(5))]),
		    None),
		('a bin key', rawmap([(pk(b't'), pk(T_JOBS)), (pk('rid'), pk(5))]), None),
		('an empty key', pk({'t': T_JOBS, 'rid': 5, '': 1}), None),
		('a 300-byte key', pk({'t': T_JOBS, 'rid': 5, 'k' * 300: 1}), None),
		('an unknown field', pk({'t': T_JOBS, 'rid': 5, 'zzz': 1}), 5),
		('a field of another type', pk({'t': T_JOBS, 'rid': 5, 'job': 'x'}), 5),
		('a nested map value', pk({'t': T_JOBS, 'rid': 5, 'x': {'a': {'b': {}}}}), None),
	]
	# types no request has: unused, answers only (40: TEXT), beyond the enum, huge
	for t in (0, 7, 8, 9, 10, 11, 12, 13, 14, 15, 30, 31, 40, 41, 63, 64, 127, 128,
	    255, 256, 65535, 1 << 32, 1 << 63):
		cases.append(('type %d' % t, pk({'t': t, 'rid': 5}), None))
	# the child's wire, on the control socket
	cases += [
		('a child HELLO', pk({'t': 1, 'v': PROTO, 'pid': 1}), None),
		('a JOB', pk({'t': 2, 'job': 1, 'handler': 'sha256', 'arg': ''}), None),
		('a TASK', pk({'t': 3, 'job': 1, 'id': 1, 'path': b'/etc/passwd'}), None),
		('a TASK with a rid', pk({'t': 3, 'rid': 5, 'job': 1, 'id': 1, 'path': b'/x'}), None),
		('a RESULT', pk({'t': 4, 'id': 1, 'ok': True}), None),
		('a FATAL', pk({'t': 5, 'error': 'x'}), None),
		('a READY', pk({'t': 6, 'job': 1}), None),
	]
	# answers, sent to the service
	for t, extra in ((32, {}), (33, {'code': 'internal', 'message': 'x'}), (34, {}),
	    (35, {}), (36, {}), (37, {}), (38, {'status': 'ok'}), (39, {})):
		m = {'t': t, 'rid': 5}
		m.update(extra)
		cases.append(('answer type %d' % t, pk(m), 5))
	cases.append(('CHECK without a descriptor',
	    pk({'t': T_CHECK, 'rid': 5, 'handler': 'sha256', 'opts': OPTS}), 5))
	# the job a request names
	cases += [
		('STATUS without a job', pk({'t': T_STATUS, 'rid': 5}), 5),
		('STATUS of an integer', pk({'t': T_STATUS, 'rid': 5, 'job': 7}), 5),
		('STATUS of a bin', pk({'t': T_STATUS, 'rid': 5, 'job': b'x'}), 5),
		('STATUS of an empty name', pk({'t': T_STATUS, 'rid': 5, 'job': ''}), 5),
		('STATUS of a 256-byte name', pk({'t': T_STATUS, 'rid': 5, 'job': 'j' * 256}), 5),
		('STATUS of a 100000-byte name', pk({'t': T_STATUS, 'rid': 5, 'job': 'j' * 100000}), 5),
		('STATUS of a name with a NUL', pk({'t': T_STATUS, 'rid': 5, 'job': 'a\0b'}), 5),
		('RESULTS without failed and after', pk({'t': T_RESULTS, 'rid': 5, 'job': 'x'}), 5),
		('RESULTS failed an integer',
		    pk({'t': T_RESULTS, 'rid': 5, 'job': 'x', 'failed': 1, 'after': 0}), 5),
		('RESULTS after a string',
		    pk({'t': T_RESULTS, 'rid': 5, 'job': 'x', 'failed': False, 'after': '0'}), 5),
		('RESULTS after negative',
		    pk({'t': T_RESULTS, 'rid': 5, 'job': 'x', 'failed': False, 'after': -1}), 5),
	]
	# a SUBMIT, each field wrong in turn
	for what, change in (
		('no inputs', {'inputs': []}),
		('a relative input', {'inputs': [b'relative/path']}),
		('an input with a NUL', {'inputs': [b'/a\0b']}),
		('a 4096-byte input', {'inputs': [b'/' + b'p' * 4095]}),
		('4097 inputs', {'inputs': [b'/x'] * 4097}),
		('inputs a string', {'inputs': '/x'}),
		('an input a string', {'inputs': ['/x']}),
		('inputs left out', {'inputs': None}),
		('an empty handler', {'handler': ''}),
		('a 4096-byte handler', {'handler': '/' + 'h' * 4095}),
		('handler a bin', {'handler': b'sha256'}),
		('handler left out', {'handler': None}),
		('a 256-byte name', {'name': 'n' * 256}),
		('a name with a NUL', {'name': 'a\0b'}),
		('a 4096-byte arg', {'arg': 'a' * 4096}),
		('timeout 0', {'timeout_ms': 0}),
		('timeout past 30 days', {'timeout_ms': 1 << 40}),
		('timeout a string', {'timeout_ms': '60s'}),
		('retries 101', {'retries': 101}),
		('priority 0', {'priority': 0}),
		('priority 101', {'priority': 101}),
		('halt_rate 1.5', {'halt_rate': 1.5}),
		('halt_rate a string', {'halt_rate': '10%'}),
		('halt_rate negative', {'halt_rate': -0.5}),
		('empty opts', {'opts': b''}),
		('1025 bytes of opts', {'opts': b'\x00' * 1025}),
		('opts an array', {'opts': pk([1, 2])}),
		('opts holding a map', {'opts': pk({'max_depth': {'a': 1}})}),
		('opts with a flag out of range', {'opts': pk({'sandbox': 2})}),
		('opts garbage', {'opts': b'\xc1\xc1\xc1'}),
		('wait an integer', {'wait': 1}),
		('a relative extract directory', {'extract': b'relative'}),
	):
		cases.append(('SUBMIT with ' + what, submit(**change), 5))
	rnd = random.Random(41)
	while len(cases) < 140:
		n = rnd.randrange(1, 200)
		body = bytes(rnd.randrange(256) for _ in range(n))
		cases.append(('%d random bytes' % n, body, None))
	return cases


def check_error(m, what, rid):
	if m is None:
		fail('%s: the connection closed, not an ERROR' % what)
	if m.get('t') != T_ERROR:
		fail('%s: answered type %r, not ERROR: %r' % (what, m.get('t'), m))
	if m.get('code') not in ('bad_request', 'unsupported'):
		fail('%s: ERROR %r (%s)' % (what, m.get('code'), m.get('message')))
	if rid is not None and m.get('rid') != rid:
		fail('%s: ERROR for rid %r, not %r' % (what, m.get('rid'), rid))


def usable(s, rid):
	s.sendall(frame(pk({'t': T_WORKERS, 'rid': rid})))
	got = stream(s, rid)
	if not got or any(m.get('t') != T_WORKER for m in got):
		fail('WORKERS after the malformed requests: %r' % (got,))


def cmd_malformed(path, indir):
	cases = malformed()
	s = connect(path)
	hello(s)
	# The control: the unchanged SUBMIT is accepted.
	s.sendall(frame(submit(inputs=[os.path.abspath(indir).encode()], name='control')))
	m = recv_msg(s)
	if m is None or m.get('t') != 32 or m.get('rid') != 5:
		fail('the well-formed SUBMIT was not accepted: %r' % (m,))
	for i, (what, body, rid) in enumerate(cases):
		s.sendall(frame(body))
		check_error(recv_msg(s), what, rid)
		if i % 10 == 9:
			usable(s, 1000 + i)
	usable(s, 2000)
	s.close()
	# All at once, in one write: as many ERRORs, in order.
	s = connect(path)
	hello(s)
	s.sendall(b''.join(frame(body) for _, body, _ in cases))
	for what, body, rid in cases:
		check_error(recv_msg(s), what + ' (pipelined)', rid)
	usable(s, 3000)
	print('# %d malformed requests, each answered ERROR' % len(cases))


def cmd_prehello(path):
	s = connect(path)
	s.sendall(frame(pk({'t': T_JOBS, 'rid': 7})))
	m = recv_msg(s)
	if m is None or m.get('t') != T_ERROR or m.get('code') != 'unsupported' or m.get('rid') != 7:
		fail('JOBS before HELLO: %r' % (m,))
	hello(s, 8)
	s.sendall(frame(pk({'t': T_JOBS, 'rid': 9})))
	if stream(s, 9) is None:
		fail('JOBS after HELLO not answered')


def cmd_version(path):
	s = connect(path)
	s.sendall(frame(pk({'t': T_HELLO, 'rid': 1, 'v': PROTO + 100})))
	m = recv_msg(s)
	if m is None or m.get('t') != T_ERROR or m.get('code') != 'unsupported':
		fail('HELLO of version %d: %r' % (PROTO + 100, m))
	if not closed(s):
		fail('the connection stayed open after the refused HELLO')


def cmd_badlen(path, n):
	s = connect(path)
	hello(s)
	s.sendall(struct.pack('>I', n) + b'\x80' * 16)
	if not closed(s):
		fail('a length prefix of %d: the connection stayed open or was answered' % n)


def connections(path):
	"""The service's ends of connections to path (/proc/net/unix)."""
	n = 0
	with open('/proc/net/unix') as f:
		for line in f:
			col = line.split()
			if len(col) == 8 and col[7] == path and col[5] == '03':
				n += 1
	return n


def poll(what, cond):
	until = time.monotonic() + WAIT
	while not cond():
		if time.monotonic() > until:
			fail('gave up waiting: ' + what)
		time.sleep(0.02)


def cmd_twoclose(path, pid):
	def state():
		with open('/proc/%d/stat' % pid) as f:
			return f.read().rsplit(')', 1)[1].split()[0]

	base = connections(path)
	for bad_first in (True, False):
		a = connect(path)
		hello(a)
		b = connect(path)
		hello(b)
		os.kill(pid, signal.SIGSTOP)
		try:
			poll('the service stopped', lambda: state() == 'T')
			if not bad_first:
				b.close()
			a.sendall(struct.pack('>I', 0))
			if bad_first:
				b.close()
		finally:
			os.kill(pid, signal.SIGCONT)
		if not closed(a):
			fail('the connection with a bad length prefix stayed open')
		poll('both connections closed', lambda: connections(path) == base)
		a.close()


def cmd_stall(path, flag, nohello):
	s = connect(path)
	if not nohello:
		hello(s)
	body = pk({'t': T_JOBS, 'rid': 2})
	s.sendall(struct.pack('>I', len(body) + 100) + body)	# 100 bytes short
	touch(flag)
	time.sleep(3600)


def cmd_noread(path, job, ready, go):
	s = connect(path)
	hello(s)
	s.sendall(frame(pk({'t': T_RESULTS, 'rid': 2, 'job': job, 'failed': False, 'after': 0})))
	touch(ready)
	until = time.monotonic() + WAIT
	while not os.path.exists(go):
		if time.monotonic() > until:
			fail('no go')
		time.sleep(0.02)
	batch = b''.join(frame(pk({'t': T_JOBS, 'rid': 3 + i})) for i in range(4096))
	sent = 0
	s.settimeout(WAIT)
	try:
		# A few million unread answers, if the service kept them all.
		while sent < 3000000:
			s.sendall(batch)
			sent += 4096
	except (BrokenPipeError, ConnectionResetError):
		print('# closed after %d requests' % sent)
		return
	except socket.timeout:
		fail('the service stopped reading after %d requests' % sent)
	fail('never closed: %d requests sent, no answer read' % sent)


def cmd_named(path, namehex, indir):
	name = bytes.fromhex(namehex)
	m = {'t': T_SUBMIT, 'rid': 5, 'inputs': [os.path.abspath(indir).encode()],
	    'handler': 'sha256', 'timeout_ms': 60000, 'retries': 1, 'halt_rate': 0.0,
	    'halt_min': 0, 'priority': 10, 'opts': OPTS, 'wait': False}
	# A str of raw bytes: pk() would encode text.
	pairs = [(pk(k), pk(v)) for k, v in m.items()] + [(pk('name'), bytes([0xa0 | len(name)]) + name)]
	s = connect(path)
	hello(s)
	s.sendall(frame(rawmap(pairs)))
	got = recv_msg(s)
	if got is None or got.get('t') != 32 or got.get('rid') != 5:
		fail('the SUBMIT of a named job was not accepted: %r' % (got,))
	s.close()


def main(argv):
	if len(argv) < 3:
		print(__doc__, file=sys.stderr)
		sys.exit(2)
	path, cmd, args = argv[1], argv[2], argv[3:]
	try:
		run(path, cmd, args)
	except socket.timeout:
		fail('no answer within %gs' % WAIT)
	sys.exit(0)


def run(path, cmd, args):
	if cmd == 'malformed' and len(args) == 1:
		cmd_malformed(path, args[0])
	elif cmd == 'prehello' and not args:
		cmd_prehello(path)
	elif cmd == 'version' and not args:
		cmd_version(path)
	elif cmd == 'badlen' and len(args) == 1:
		cmd_badlen(path, int(args[0]))
	elif cmd == 'twoclose' and len(args) == 1:
		cmd_twoclose(path, int(args[0]))
	elif cmd == 'stall' and len(args) in (1, 2):
		cmd_stall(path, args[0], args[1:] == ['nohello'])
	elif cmd == 'noread' and len(args) == 3:
		cmd_noread(path, *args)
	elif cmd == 'named' and len(args) == 2:
		cmd_named(path, *args)
	else:
		print(__doc__, file=sys.stderr)
		sys.exit(2)


if __name__ == '__main__':
	main(sys.argv)
