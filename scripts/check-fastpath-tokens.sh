#!/usr/bin/env bash
# Forbidden tokens per folder (DPDK devtools/check-forbidden-tokens.awk style):
#   all of src/:                      throw, try (no exceptions in sipfront's own code)
#   src/{net,sip,registrar,core}:     allocation, owning strings, type-erased callables,
#                                     shared ownership and stdio on the fast path
# Comments are ignored. Exits 1 listing every hit.
set -euo pipefail
cd "$(dirname "$0")/.."

strip_comments() { sed -e 's://.*$::' "$1"; }

status=0
check() {  # check REGEX DESCRIPTION FILE...
    local regex=$1 what=$2
    shift 2
    local f
    for f in "$@"; do
        if strip_comments "$f" | grep -nE "$regex" | sed "s|^|$f:|" | grep .; then
            echo "  ^ forbidden here: $what" >&2
            status=1
        fi
    done
}

mapfile -t all < <(git ls-files -co --exclude-standard -- 'src/*.h' 'src/*.cc')
# Start-up / slow-path files in those folders, each listed with its reason.
mapfile -t exempt < <(grep -v '^#' scripts/fastpath-exempt.txt | awk 'NF {print $1}')
mapfile -t fast < <(printf '%s\n' "${all[@]}" | grep -E '^src/(net|sip|registrar|core)/' |
    grep -vxF -f <(printf '%s\n' "${exempt[@]}") || true)

check '\b(throw|try)\b' 'exceptions (STYLE: three-tier error handling)' "${all[@]}"
check '\bnew\b[[:space:]]+[A-Za-z_:]|\b(malloc|calloc|realloc)\(' 'allocation on the fast path' "${fast[@]}"
check 'std::string\b[^_]' 'std::string on the fast path (use spans)' "${fast[@]}"
check 'std::(function|shared_ptr)\b' 'std::function / std::shared_ptr on the fast path' "${fast[@]}"
check '\b(printf|fprintf)\(|std::(cout|cerr)\b' 'stdio on the fast path (count, do not log)' "${fast[@]}"

if ((status == 0)); then
    echo "fastpath-tokens: ${#all[@]} files clean"
fi
exit $status
