#!/usr/bin/env bash
# Builds the C++ interop program (interop.cpp) against the official RocketMQ C++ client.
#
# The client is rocketmq-client-cpp as the Apache RocketMQ Node.js binding on npm ships it
# (apache-rocketmq 1.0.0-rc1, whose deps/rocketmq is the C++ client's sources, pinned as its
# C++ SDK 1.2.0), compiled unchanged. Its dependencies (Boost 1.74, libevent, jsoncpp) come from
# Debian's packages, fetched with `apt-get download` and unpacked: nothing is installed.
#
# The client library is compiled once per version of this script into $FERRY_INTEROP_CACHE
# (default ~/.cache/ferrymq-interop); the program itself is rebuilt every time into target/interop.
#
#   test/interop/cpp/build.sh        prints the program's path on its last line
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
client_package="apache-rocketmq@1.0.0-rc1"
debs=(libboost1.74-dev libboost-atomic1.74-dev libboost-chrono1.74-dev libboost-date-time1.74-dev
  libboost-filesystem1.74-dev libboost-iostreams1.74-dev libboost-locale1.74-dev libboost-log1.74-dev
  libboost-regex1.74-dev libboost-serialization1.74-dev libboost-system1.74-dev libboost-thread1.74-dev
  libevent-dev libjsoncpp-dev libjsoncpp25 zlib1g-dev libbz2-dev)

for tool in npm apt-get dpkg-deb g++ gcc ar; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is not installed" >&2; exit 2; }
done

key=$(cat "${BASH_SOURCE[0]}" <(g++ -dumpfullversion) | sha256sum | cut -c1-12)
cache="${FERRY_INTEROP_CACHE:-$HOME/.cache/ferrymq-interop}/cpp-$key"
root="$cache/root"                # unpacked Debian packages
client="$cache/client"            # the client's sources
lib="$cache/librocketmq.a"
libdir="$root/usr/lib/x86_64-linux-gnu"

if [[ ! -f "$cache/deps.done" ]]; then
  echo "build.sh: fetching Boost, libevent and jsoncpp from Debian" >&2
  rm -rf "$cache/debs" "$root"
  mkdir -p "$cache/debs" "$root"
  (cd "$cache/debs" && apt-get download "${debs[@]}" >&2)
  for deb in "$cache"/debs/*.deb; do dpkg-deb -x "$deb" "$root"; done
  touch "$cache/deps.done"
fi

if [[ ! -f "$client/client.done" ]]; then
  echo "build.sh: fetching $client_package (rocketmq-client-cpp sources) from npm" >&2
  rm -rf "$client"
  mkdir -p "$client"
  tarball=$(cd "$client" && npm pack --silent "$client_package" 2>/dev/null | tail -1)
  tar -xzf "$client/$tarball" -C "$client" package/deps/rocketmq
  touch "$client/client.done"
fi
src="$client/package/deps/rocketmq"

includes=(-I"$src/include" -I"$src/src" -I"$src/libs/signature/include" -I"$root/usr/include" -I"$root/usr/include/jsoncpp")
for dir in "$src"/src/*/; do includes+=(-I"$dir"); done

if [[ ! -f "$lib" ]]; then
  echo "build.sh: compiling the C++ client (once; about a minute per core)" >&2
  objs="$cache/obj"
  rm -rf "$objs"
  mkdir -p "$objs"
  export objs src
  export INCLUDES="${includes[*]}"
  # shellcheck disable=SC2016
  (find "$src/src" -name '*.cpp' ! -name dllmain.cpp; find "$src/libs/signature/src" -name '*.c') |
    xargs -P "$(nproc)" -I{} bash -c '
      f="{}"; o="$objs/$(echo "${f#"$src"/}" | tr / _).o"
      case "$f" in
        *.c) gcc -O1 -fPIC -w -I"$src/libs/signature/include" -c "$f" -o "$o" ;;
        *) g++ -O1 -std=c++11 -fPIC -w -DBOOST_BIND_GLOBAL_PLACEHOLDERS $INCLUDES -c "$f" -o "$o" ;;
      esac'
  ar rcs "$lib.tmp" "$objs"/*.o
  mv "$lib.tmp" "$lib"
  rm -rf "$objs"
fi

mkdir -p "$here/target"
boost=()
for name in log_setup log thread filesystem regex serialization locale iostreams date_time chrono atomic system; do
  boost+=("$libdir/libboost_$name.a")
done
g++ -O1 -std=c++11 -w -DBOOST_BIND_GLOBAL_PLACEHOLDERS "${includes[@]}" "$here/interop.cpp" "$lib" \
  "${boost[@]}" \
  "$libdir/libevent.a" "$libdir/libevent_pthreads.a" \
  -L"$libdir" -Wl,-rpath,"$libdir" -ljsoncpp -lz -lbz2 -lpthread -ldl -lrt \
  -o "$here/target/interop"
echo "$here/target/interop"
