# bash completion for corral(1): commands, their options, the values of the
# options that take a known set, job names and paths.
#
# The commands and options are read from the corral being completed, from
# `corral --help` (and `corral serve --help`) at each completion, so they
# follow that binary. Job names come from `corral jobs --json`, with the -s
# and --socket of the command line, and never wait more than two seconds.
# bash-completion's helpers are used when they are loaded; without them the
# same is done with compgen and compopt.

# _corral_spec BIN CMD: what BIN's help says of CMD, in four lines: the
# operand it takes (job, path, file or none), its options, those of them
# that take a value, and the service's default socket. Nothing when CMD is
# not a command. With CMD empty: the commands, on one line.
_corral_spec() {
	local help
	if [[ $2 == serve ]]; then
		help=$("$1" serve --help 2>/dev/null)
	else
		help=$("$1" --help 2>/dev/null)
	fi
	awk -v want="$2" '
	function add(c, o) { if (!((c, o) in has)) { has[c, o] = 1; opts[c] = opts[c] " " o } }
	# A command: "corral CMD [-s DIR] [--json] [OPTIONS] JOB", its words
	# before the description (two spaces).
	/^(usage:)? +corral [a-z]/ {
		line = $0
		sub(/^(usage:)? +/, "", line)
		sub(/  .*/, "", line)
		n = split(line, w, " ")
		c = w[2]
		if (!(c in known)) { known[c] = 1; cmds = cmds " " c }
		if (c == "submit") client = 1
		if (client) is_client[c] = 1
		for (i = 3; i <= n; i++) {
			t = w[i]
			if (t ~ /^\[-/) {
				# "[--json|--csv|--format FMT]": each one of a choice;
				# the last takes the value that follows.
				o = t; gsub(/[][]/, "", o)
				m = split(o, alt, "|")
				for (a = 1; a <= m; a++) {
					add(c, alt[a]); named[alt[a]] = 1
					if (a == m && t !~ /\]$/) takes[alt[a]] = 1
				}
			} else if (t == "[OPTIONS]") all[c] = 1
			else if (t ~ /JOB/) operand[c] = "job"
			else if (t ~ /^PATH/) operand[c] = "path"
			else if (t ~ /^FILE/) operand[c] = "file"
		}
		next
	}
	# A section: "run options:", "client options (...):".
	/^[a-z][a-z]* options.*:$/ { sec = $1; next }
	/^[^ ]/ { sec = "" }
	# An option: "  -s, --state DIR   text" or "      --json   text".
	sec != "" || want == "serve" {
		# The default socket: "(default: $CORRAL_SOCKET, else PATH)".
		if (sec == "client" && match($0, /else \/[^ )]*/))
			sock = substr($0, RSTART + 5, RLENGTH - 5)
		if (!match($0, /^ +-/) || RLENGTH > 7) next
		line = $0
		sub(/^ +/, "", line)
		short = ""
		if (line ~ /^-[^-], /) { short = substr(line, 1, 2); line = substr(line, 5) }
		long = line
		sub(/[ =].*/, "", long)
		arg = line ~ /^[^ ]+ [^ ]/
		if (short != "") { pair[short] = long; pair[long] = short }
		takes[long] = arg
		if (short != "") takes[short] = arg
		list[sec] = list[sec] " " (short != "" ? short " " : "") long
	}
	END {
		if (want == "") { print substr(cmds, 2); exit }
		if (!(want in known)) exit
		for (o in named) if (o in pair) for (c in known) if ((c, o) in has) add(c, pair[o])
		if (want == "serve") {
			n = split(list[""], w, " ")
			for (i = 1; i <= n; i++) add(want, w[i])
		} else {
			if (all[want]) for (s in list) if (s != "client") {
				n = split(list[s], w, " ")
				for (i = 1; i <= n; i++) add(want, w[i])
			}
			# Client options no command names (--socket) are every client
			# command'"'"'s.
			if (is_client[want]) {
				n = split(list["client"], w, " ")
				for (i = 1; i <= n; i++) if (!(w[i] in named)) add(want, w[i])
			}
		}
		add(want, "--help")
		print (want in operand) ? operand[want] : "none"
		print substr(opts[want], 2)
		t = ""
		for (o in takes) if (takes[o] && ((want, o) in has)) t = t " " o
		print substr(t, 2)
		print sock
	}' <<<"$help"
}

# _corral_dequote WORD: WORD as the shell would read it, for the common
# forms: backslashes, one leading quote, a leading ~/.
_corral_dequote() {
	local w=$1
	case $w in
	\'*) w=${w#\'}; w=${w%\'} ;;
	\"*) w=${w#\"}; w=${w%\"} ;;
	*) w=${w//\\\\/$'\1'}; w=${w//\\/}; w=${w//$'\1'/\\} ;;
	esac
	[[ $w == \~/* ]] && w=$HOME/${w#\~/}
	printf '%s' "$w"
}

# _corral_jobs BIN SOCKET WORD...: the job names, one a line, that `BIN jobs`
# lists for the -s and --socket among WORDs (SOCKET when none is named and
# CORRAL_SOCKET is unset; empty: the state dir). Nothing when nothing answers.
_corral_jobs() {
	local bin=$1 sock=$2 svc=$2 args=() i w v line name part re='^\{"job":"(([^"\\]|\\.)*)"'
	shift 2
	for ((i = 1; i <= $#; i++)); do
		w=${!i}
		case $w in
		--state=* | --socket=*) v=${w#*=} w=${w%%=*} ;;
		-s | --state | --socket)
			((i++))
			[[ ${!i-} == = ]] && ((i++))
			v=${!i-}
			;;
		*) continue ;;
		esac
		if [[ $w == --socket ]]; then
			sock=
			args+=(--socket "$(_corral_dequote "$v")")
		elif [[ -z $svc ]]; then	# the service's commands ignore -s
			args+=(-s "$(_corral_dequote "$v")")
		fi
	done
	[[ -n $sock && -z ${CORRAL_SOCKET-} ]] && args+=(--socket "$sock")
	timeout 2 "$bin" jobs "${args[@]}" --json 2>/dev/null </dev/null | while IFS= read -r line; do
		[[ $line =~ $re ]] || continue
		# JSON's escapes, from the left: each \\ by hand, the rest (\",
		# \n, \uXXXX...) between them by %b.
		line=${BASH_REMATCH[1]} name=
		# shellcheck disable=SC1003 # '\\' is two backslashes, not a quote
		while [[ $line == *'\\'* ]]; do
			part=${line%%'\\'*}
			printf -v part '%b' "${part//\\\"/\"}"
			name+=$part'\'
			line=${line#*'\\'}
		done
		printf -v part '%b' "${line//\\\"/\"}"
		printf '%s\n' "$name$part"
	done
}

# _corral_files [-d | EXT]: file names (directories only; or those ending .EXT).
_corral_files() {
	if declare -F _filedir >/dev/null; then
		_filedir "$@"
		return
	fi
	local f want
	want=$(_corral_dequote "$cur")
	compopt -o filenames 2>/dev/null
	if [[ ${1-} == -d ]]; then
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$want")
		return
	fi
	while IFS= read -r f; do
		[[ -z ${1-} || -d $f || $f == *."$1" ]] && COMPREPLY+=("$f")
	done < <(compgen -f -- "$want")
}

_corral() {
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion -n = || return
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${words[cword]}
		prev=${words[cword - 1]}
	fi
	COMPREPLY=()
	# --opt=value: split as the shell's COMP_WORDBREAKS split it.
	if [[ $cur == =* && $prev == -* ]]; then
		cur=${cur#=}
	elif [[ $prev == = && $cword -ge 2 ]]; then
		prev=${words[cword - 2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	fi

	local bin=${words[0]}
	bin=$(_corral_dequote "$bin")
	type -P -- "$bin" >/dev/null || bin=corral

	if ((cword == 1)); then
		mapfile -t COMPREPLY < <(compgen -W "$(_corral_spec "$bin" "") --help --version" -- "$cur")
		return
	fi
	local cmd=${words[1]} spec operand opts takes sock
	mapfile -t spec < <(_corral_spec "$bin" "$cmd")
	((${#spec[@]})) || return	# not a command
	operand=${spec[0]} opts=${spec[1]-} takes=" ${spec[2]-} " sock=${spec[3]-}

	case $prev in
	-H | --handler)
		mapfile -t COMPREPLY < <(compgen -W "archive sha256 exec" -- "$cur")
		_corral_files so
		return
		;;
	--fail-on)
		mapfile -t COMPREPLY < <(compgen -W "suspicious" -- "$cur")
		return
		;;
	--halt)
		# The count or share after fail= is the user's to type.
		mapfile -t COMPREPLY < <(compgen -W "now,fail= soon,fail=" -- "$cur")
		compopt -o nospace 2>/dev/null
		return
		;;
	-s | --state | --extract)
		_corral_files -d
		return
		;;
	--config | --stats | --socket | --metrics-file)
		_corral_files
		return
		;;
	esac
	# Any other value is the user's to type.
	[[ $prev == -* && $takes == *" $prev "* ]] && return

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return
	fi
	case $operand in
	job)
		local name want
		want=$(_corral_dequote "$cur")
		# Only status, results and jobs read a state dir; the others ask
		# the service.
		[[ " $opts " == *" -s "* ]] && sock=
		while IFS= read -r name; do
			[[ $name == "$want"* ]] || continue
			if [[ $cur == [\'\"]* ]]; then
				COMPREPLY+=("$name")
			else
				COMPREPLY+=("$(printf '%q' "$name")")
			fi
		done < <(_corral_jobs "$bin" "$sock" "${words[@]:1:cword-1}" "${words[@]:cword+1}")
		;;
	path | file) _corral_files ;;
	esac
}
complete -F _corral corral
