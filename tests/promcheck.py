#!/usr/bin/python3
"""promcheck.py: a strict reader of the Prometheus text format (0.0.4), the
second validator of tests/57-metrics.t beside promtool.

  promcheck.py FILE...     each FILE: valid UTF-8, ends with a newline,
                           parsed by prometheus_client's parser; every
                           sample of a family with HELP and TYPE lines
                           before it, a family's samples together, no
                           series twice; counters end in _total; each
                           histogram's buckets cumulative, up to a +Inf
                           bucket equal to its _count
  promcheck.py --watch FILE N SNAPDIR
                           reads FILE again and again until N files have
                           stood at its path (by inode), checking each read
                           as above; keeps one read of each in SNAPDIR (for
                           promtool); says how many reads it made

Exit 0 when all was valid, 1 (with the reason, '#'-prefixed) when not."""
import os
import re
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')
SUFFIXES = {'histogram': ('_bucket', '_sum', '_count'), 'counter': ('',), 'gauge': ('',),
	'summary': ('', '_sum', '_count'), 'untyped': ('',)}


def check(data):
	"""None when data is a valid exposition, else why not."""
	try:
		text = data.decode('utf-8')
	except UnicodeDecodeError as e:
		return 'not UTF-8: %s' % e
	if not text.endswith('\n'):
		return 'does not end with a newline (%d bytes)' % len(data)
	try:
		fams = list(text_string_to_metric_families(text))
	except Exception as e:	# the parser's refusal, whatever its class
		return 'prometheus_client refuses it: %r' % e
	helped, typed, done, seen = set(), {}, set(), set()
	current = None
	for line in text.split('\n')[:-1]:
		if line.startswith('# HELP '):
			helped.add(line.split(' ')[2])
			continue
		if line.startswith('# TYPE '):
			_, _, name, kind = line.split(' ', 3)
			if name in typed:
				return 'family %s typed twice' % name
			if name not in helped:
				return 'family %s has no HELP before its TYPE' % name
			if kind == 'counter' and not name.endswith('_total'):
				return 'counter %s does not end in _total' % name
			typed[name] = kind
			if current:
				done.add(current)
			current = name
			continue
		if line.startswith('#'):
			continue
		m = SAMPLE.match(line)
		if not m:
			return 'not a sample line: %r' % line
		name = m.group(1)
		fam = next((f for f, k in typed.items() for s in SUFFIXES[k]
		    if name == f + s), None)
		if fam is None:
			return 'sample %s of no family with a TYPE line before it' % name
		if fam != current or fam in done:
			return 'sample %s away from the rest of its family %s' % (name, fam)
		key = (name, m.group(2) or '')
		if key in seen:
			return 'series given twice: %s%s' % key
		seen.add(key)
	for f in fams:
		if f.type != 'histogram':
			continue
		by = {}
		for s in f.samples:
			rest = tuple(sorted((k, v) for k, v in s.labels.items() if k != 'le'))
			by.setdefault(rest, {'b': [], 'count': None})
			if s.name.endswith('_bucket'):
				by[rest]['b'].append((float(s.labels['le']), s.value))
			elif s.name.endswith('_count'):
				by[rest]['count'] = s.value
		for rest, h in by.items():
			values = [v for _, v in h['b']]
			if not h['b'] or h['b'][-1][0] != float('inf'):
				return 'histogram %s has no +Inf bucket last' % f.name
			if values != sorted(values) or [le for le, _ in h['b']] != sorted(le for le, _ in h['b']):
				return 'histogram %s: buckets not cumulative' % f.name
			if values[-1] != h['count']:
				return 'histogram %s: +Inf %s, count %s' % (f.name, values[-1], h['count'])
	return None


def main(argv):
	if len(argv) == 5 and argv[1] == '--watch':
		path, want, snaps = argv[2], int(argv[3]), argv[4]
		inodes, reads, end = set(), 0, time.time() + 120
		while len(inodes) < want:
			if time.time() > end:
				print('# gave up after 120 s: %d files seen at %s' % (len(inodes), path))
				return 1
			try:
				with open(path, 'rb') as f:
					ino = os.fstat(f.fileno()).st_ino
					data = f.read()
			except FileNotFoundError:
				continue
			reads += 1
			why = check(data)
			if why:
				print('# read %d of %s: %s' % (reads, path, why))
				return 1
			if ino not in inodes:
				inodes.add(ino)
				with open(os.path.join(snaps, 'snap%d' % len(inodes)), 'wb') as f:
					f.write(data)
		print('# %d reads of %s, %d files, each whole and valid' % (reads, path, len(inodes)))
		return 0
	if len(argv) < 2:
		print(__doc__, file=sys.stderr)
		return 2
	for path in argv[1:]:
		with open(path, 'rb') as f:
			why = check(f.read())
		if why:
			print('# %s: %s' % (path, why))
			return 1
	return 0


if __name__ == '__main__':
	sys.exit(main(sys.argv))
