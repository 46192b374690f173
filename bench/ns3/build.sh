#!/usr/bin/env bash
# Builds ns-3's scheduler benchmark (utils/bench-scheduler.cc), optimized, core module only, so the
# event-loop suite can measure ns-3 on this machine in the same run as netsim:
#
#   bash bench/ns3/build.sh [DIR]           # default DIR: ~/.cache/netsim-ns3 (about 2 min on 2 cores)
#   NS3_BENCH_SCHEDULER=$(bash bench/ns3/build.sh --print-binary) npm run bench -- event-loop
#
# Needs git, cmake, ninja or make, and a C++ compiler (g++ 12 here). The commit is pinned so figures stay
# comparable; NS3_REF overrides it.
set -euo pipefail

REPO=${NS3_REPO:-https://gitlab.com/nsnam/ns-3-dev.git}
REF=${NS3_REF:-140646449a337d54deb474da299a9c0e2eb5a576} # ns-3.48-85, measured in bench/README.md
print_only=0
if [[ ${1:-} == --print-binary ]]; then
  print_only=1
  shift
fi
DIR=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/netsim-ns3}
BIN=$DIR/src/build/utils/ns3-dev-bench-scheduler-optimized

if [[ -x $BIN ]]; then
  echo "$BIN"
  exit 0
fi
if ((print_only)); then
  echo "ns-3's bench-scheduler is not built yet: run bash bench/ns3/build.sh" >&2
  exit 1
fi

mkdir -p "$DIR"
if [[ ! -d $DIR/src/.git ]]; then
  git init -q "$DIR/src"
  git -C "$DIR/src" remote add origin "$REPO"
fi
git -C "$DIR/src" fetch -q --depth 1 origin "$REF"
git -C "$DIR/src" checkout -q FETCH_HEAD

cd "$DIR/src"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
./ns3 configure --build-profile=optimized --enable-modules=core --disable-examples --disable-tests \
  --disable-python-bindings "${generator[@]}" >"$DIR/configure.log" 2>&1 ||
  {
    echo "ns-3 configure failed; see $DIR/configure.log" >&2
    exit 1
  }
cmake --build cmake-cache --target bench-scheduler -j "$(nproc)" >"$DIR/build.log" 2>&1 ||
  {
    echo "ns-3 build failed; see $DIR/build.log" >&2
    exit 1
  }
echo "$BIN"
