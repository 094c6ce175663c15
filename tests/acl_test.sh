#!/usr/bin/env bash
# tests/acl_test.sh — the broker's authentication and what it answers, against a real
# mosquitto on loopback: accounts from broker-config/vq-accounts, the rendered local
# config, then the production TLS config with per-device certificates and a revocation.
# (Every role x topic family x publish/subscribe/retain/will is tests/test_acl.c.)
# Prints "N passed, M failed"; exits 0 only if all passed (77 = skipped: mosquitto, its
# clients or openssl missing).
set -eu -o pipefail

root=${VQ_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
accounts=$root/broker-config/vq-accounts
mosquitto=${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
for t in "$mosquitto" mosquitto_pub mosquitto_sub mosquitto_passwd openssl python3 timeout stdbuf; do
	command -v "$t" >/dev/null 2>&1 || { echo "acl_test: skipped, $t not found"; exit 77; }
done

site=demo
P=vq/v1/$site
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vq-acl-test.XXXXXX")
broker_pid=''
cleanup() { # the broker and any subscriber still running: this shell's own jobs only
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

passed=0 failed=0
fails() { ! "$@" >/dev/null 2>&1; }
check() { # DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok   $what"
	else
		failed=$((failed + 1))
		echo "FAIL $what"
	fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_broker() { # CONF PORT: waits until PORT accepts connections
	"$mosquitto" -c "$1" >>"$tmp/broker.log" 2>&1 &
	broker_pid=$!
	for _ in $(seq 50); do
		kill -0 "$broker_pid" 2>/dev/null || { broker_pid=''; return 1; }
		(: <>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

stop_broker() {
	[ -z "$broker_pid" ] || { kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; }
	broker_pid=''
}

pw() { awk -v n="$1" '$1 == n { print $3 }' "$tmp/acc/credentials"; }

# How a client reaches the broker: CONN=(...) holds the connection options in use;
# auth NAME [ID] prints a device's own credentials (password or certificate) and the
# client id it asks for: its own name, as every vq program does, unless ID is given.
tls_dir=''
auth() {
	printf '%s\n' -i "${2:-$1}"
	if [ -n "$tls_dir" ]; then
		printf '%s\n' --cafile "$tls_dir/ca.crt" --cert "$tls_dir/devices/$1.crt" --key "$tls_dir/devices/$1.key"
	else
		printf '%s\n' -u "$1" -P "$(pw "$1")"
	fi
}

# pub NAME [-i ID] ARGS...: one QoS 1 MQTT 5 publish as device NAME; the client's debug
# output goes to $tmp/pub.out and the PUBACK reason code into $puback ('' if none).
puback=''
pub() {
	local name=$1 id='' rc=0
	shift
	if [ "${1:-}" = -i ]; then id=$2; shift 2; fi
	mapfile -t a < <(auth "$name" "$id")
	timeout 5 mosquitto_pub "${CONN[@]}" "${a[@]}" -V mqttv5 -q 1 -d "$@" >"$tmp/pub.out" 2>&1 || rc=$?
	puback=$(sed -n 's/.*received PUBACK (Mid: [0-9]*, RC:\([0-9]*\)).*/\1/p' "$tmp/pub.out")
	return "$rc"
}
# Raw publish with explicit options (no device credentials added).
pub_raw() {
	timeout 5 mosquitto_pub "${CONN[@]}" -V mqttv5 -q 1 -d "$@" >"$tmp/pub.out" 2>&1
}

# sub NAME OUT ARGS...: background MQTT 5 subscriber, lines "RX <topic> <payload>" in OUT;
# returns once the broker has answered the SUBSCRIBE. The subscriber gives up after 3 s.
sub() {
	local name=$1 out=$2
	shift 2
	: >"$out"
	mapfile -t a < <(auth "$name")
	stdbuf -oL mosquitto_sub "${CONN[@]}" "${a[@]}" -V mqttv5 -q 1 -d -W 3 -F 'RX %t %p' "$@" \
		>"$out" 2>&1 &
	sub_pid=$!
	for _ in $(seq 40); do
		grep -q '^Subscribed' "$out" && return 0
		sleep 0.05
	done
	echo "acl_test: subscriber $name was not ready after 2 s" >&2 # the check will fail
}
sub_wait() { wait "$sub_pid" 2>/dev/null || true; }
first_rx_is() { [ "$(grep -m1 '^RX ' "$1")" = "RX $2" ]; }
puback_is() { [ "$puback" = "$1" ]; }
allowed() { [ "$puback" = 0 ] || [ "$puback" = 16 ]; } # 16: no matching subscribers
connack_refused() { grep -q 'received CONNACK (135)' "$tmp/pub.out"; }
connacks_in() { [ "$(grep -c 'received CONNACK (0)' "$1")" -eq "$2" ]; }

# --- accounts -----------------------------------------------------------------------------
port=$(free_port)
"$accounts" --site "$site" --out "$tmp/acc" --devices "$root/broker-config/devices-demo.txt" \
	--port "$port" >/dev/null
cp "$tmp/acc/credentials" "$tmp/credentials.first"
check "vq-accounts refuses an unknown role" \
	fails "$accounts" --site demo --out "$tmp/x" --device wizard:w1
check "vq-accounts refuses a bad device name" \
	fails "$accounts" --site demo --out "$tmp/x" --device kiosk:Kiosk/1
# vqd records who admitted a ticket in 31 bytes: a longer gate would see every batch
# holding its redeem refused, so no such account may be made.
check "vq-accounts takes a name of 31 bytes" \
	bash -c '"$1" --site demo --out "$2" --device gate:gate-0123456789abcdef0123456789 >/dev/null' \
	_ "$accounts" "$tmp/x31"
check "vq-accounts refuses a name of 32 bytes, saying why" \
	bash -c '! "$1" --site demo --out "$2" --device gate:gate-0123456789abcdef01234567890 2>"$3" &&
		grep -q "\[a-z0-9_-\]{1,31}" "$3"' _ "$accounts" "$tmp/x32" "$tmp/x32.err"
check "vq-accounts refuses a 64-byte name in a devices file" \
	bash -c 'printf "%s gate\n" "$(printf "g%.0s" $(seq 64))" >"$2" &&
		! "$1" --site demo --out "$3" --devices "$2" 2>/dev/null' _ "$accounts" "$tmp/long.txt" "$tmp/x64"
check "credentials file is private (mode 600)" \
	test "$(stat -c %a "$tmp/acc/credentials")" = 600

# --- local config: password accounts on loopback --------------------------------------------
started=0
for _ in 1 2 3; do
	if start_broker "$tmp/acc/mosquitto.conf" "$port"; then started=1; break; fi
	stop_broker
	port=$(free_port)
	"$accounts" --site "$site" --out "$tmp/acc" --devices "$root/broker-config/devices-demo.txt" \
		--port "$port" >/dev/null
done
if [ "$started" -eq 0 ]; then
	cat "$tmp/broker.log" >&2
	echo "acl_test: the broker would not start"
	exit 1
fi
CONN=(-h 127.0.0.1 -p "$port")

pub_raw -t "$P/svc/issue" -m anon || true
check "anonymous connect is refused (CONNACK 0x87)" connack_refused
pub_raw -u kiosk-1 -P wrong-password -t "$P/svc/issue" -m x || true
check "wrong password is refused" connack_refused
pub_raw -u nobody -P "$(pw kiosk-1)" -t "$P/svc/issue" -m x || true
check "unknown user is refused" connack_refused

sub vqd "$tmp/s1" -C 1 -t "$P/svc/+/+"
pub kiosk-1 -t "$P/svc/issue" -m bare || true
check "kiosk's bare svc/issue (no account in the topic) gets PUBACK 0x87" puback_is 135
pub kiosk-1 -t "$P/svc/issue/kiosk-1" -m issue-1 || true
sub_wait
check "kiosk publishes svc/issue/<self>, vqd receives it" first_rx_is "$tmp/s1" "$P/svc/issue/kiosk-1 issue-1"

sub vqd "$tmp/s2" -C 1 -t "$P/svc/+/+"
pub board-1 -t "$P/svc/issue/board-1" -m forged || true
check "display's svc/issue/<self> gets PUBACK 0x87 (not authorized)" puback_is 135
pub kiosk-1 -t "$P/svc/issue/kiosk-2" -m as-kiosk-2 || true
check "kiosk-1's svc/issue/kiosk-2 gets PUBACK 0x87" puback_is 135
pub kiosk-2 -t "$P/svc/issue/kiosk-2" -m issue-2 || true
sub_wait
check "neither is delivered to vqd; kiosk-2's own is" first_rx_is "$tmp/s2" "$P/svc/issue/kiosk-2 issue-2"

sub vqd "$tmp/s3" -C 1 -t "$P/svc/+/+"
pub kiosk-1 -t "$P/svc/ops/kiosk-1" -m '{"op":"close"}' || true
check "kiosk's svc/ops/<self> gets PUBACK 0x87" puback_is 135
pub ops-1 -t "$P/svc/ops/ops-1" -m ops-1 || true
sub_wait
check "kiosk's svc/ops is not delivered; operator's is" first_rx_is "$tmp/s3" "$P/svc/ops/ops-1 ops-1"

sub gate-1 "$tmp/s4" -C 1 -t "$P/reply/gate-1"
sub kiosk-1 "$tmp/s5" -C 1 -t "$P/reply/kiosk-1"
sub kiosk-2 "$tmp/s6" -C 1 -t "$P/reply/kiosk-1" -t "$P/#" -t '#'
check "a subscription to another's reply topic is still granted (SUBACK 1, filtered on delivery)" \
	grep -q '^Subscribed (mid: 1): 1, 1, 1$' "$tmp/s6"
s6=$sub_pid
pub vqd -t "$P/reply/kiosk-1" -m secret-1 || true
pub vqd -t "$P/reply/gate-1" -m secret-g || true
pub vqd -t "$P/state/a-1" -m state-1 || true
wait "$s6" 2>/dev/null || true
sub_wait
check "kiosk reads its own reply topic" first_rx_is "$tmp/s5" "$P/reply/kiosk-1 secret-1"
check "gate reads its own reply topic" first_rx_is "$tmp/s4" "$P/reply/gate-1 secret-g"
check "kiosk-2 reads neither kiosk-1's nor gate-1's replies (even via #)" \
	first_rx_is "$tmp/s6" "$P/state/a-1 state-1"

sub board-1 "$tmp/s7" -C 1 -t "$P/state/#"
pub gate-1 -r -t "$P/state/a-1" -m forged || true
check "gate's state/ publish gets PUBACK 0x87" puback_is 135
pub vqd -t "$P/state/a-1" -m real || true
sub_wait
check "gate cannot write state/" first_rx_is "$tmp/s7" "$P/state/a-1 real"

sub board-1 "$tmp/s8" -C 1 -t "$P/presence/#"
pub kiosk-1 -r -t "$P/presence/kiosk-2" -m online-forged || true
check "writing another's presence gets PUBACK 0x87" puback_is 135
pub kiosk-2 -t "$P/presence/kiosk-2" -m online || true
sub_wait
check "another client's presence cannot be written" first_rx_is "$tmp/s8" "$P/presence/kiosk-2 online"

sub board-1 "$tmp/s9" -C 1 -t "$P/presence/#"
s9=$sub_pid
sub kiosk-1 "$tmp/w1" -t "$P/state/#" --will-topic "$P/presence/kiosk-2" --will-payload offline-forged
{ kill -9 "$sub_pid" && wait "$sub_pid"; } 2>/dev/null || true
sleep 0.3
sub kiosk-2 "$tmp/w2" -t "$P/state/#" --will-topic "$P/presence/kiosk-2" --will-payload offline
{ kill -9 "$sub_pid" && wait "$sub_pid"; } 2>/dev/null || true
sub_pid=$s9
sub_wait
check "a Last Will on another's presence is dropped; one's own is delivered" \
	first_rx_is "$tmp/s9" "$P/presence/kiosk-2 offline"

# use_username_as_clientid: kiosk-1 asking for client id kiosk-2 stays kiosk-1, so it
# neither takes over kiosk-2's session nor gains kiosk-2's rights.
sub kiosk-2 "$tmp/s10" -C 1 -t "$P/reply/kiosk-2"
pub kiosk-1 -i kiosk-2 -t "$P/presence/kiosk-1" -m online || true
check "kiosk-1 with -i kiosk-2 still writes kiosk-1's presence" allowed
pub kiosk-1 -i kiosk-2 -t "$P/presence/kiosk-2" -m online || true
check "kiosk-1 with -i kiosk-2 still cannot write kiosk-2's presence" puback_is 135
pub vqd -t "$P/reply/kiosk-2" -m still-here || true
sub_wait
check "kiosk-1 with -i kiosk-2 did not take over kiosk-2's session" \
	connacks_in "$tmp/s10" 1
check "kiosk-2 kept its session and got its reply" first_rx_is "$tmp/s10" "$P/reply/kiosk-2 still-here"
sub kiosk-2 "$tmp/s11" -t "$P/reply/kiosk-2"
s11=$sub_pid
pub kiosk-2 -t "$P/presence/kiosk-2" -m online || true
for _ in $(seq 20); do connacks_in "$tmp/s11" 2 && break; sleep 0.1; done
check "control: a second connection as kiosk-2 itself does take the session over" \
	connacks_in "$tmp/s11" 2
kill "$s11" 2>/dev/null || true

sub bench-echo "$tmp/s12" -C 1 -t "$P/bench/#"
pub vqd -t "$P/bench/echo/vqd" -m from-vqd || true
check "the coordinator may not write bench/ (PUBACK 0x87)" puback_is 135
pub bench-ping -t "$P/bench/echo/bench-ping" -m ping || true
sub_wait
check "role bench: bench-ping writes bench/, bench-echo reads it" first_rx_is "$tmp/s12" "$P/bench/echo/bench-ping ping"

pub_raw -V mqttv311 -u board-1 -P "$(pw board-1)" -t "$P/svc/issue/board-1" -m x || true
puback=$(sed -n 's/.*received PUBACK (Mid: [0-9]*, RC:\([0-9]*\)).*/\1/p' "$tmp/pub.out")
check "MQTT 3.1.1: a denied publish is acked as if fine (silently dropped)" puback_is 0

stop_broker

# --- production config: TLS, per-device certificates (bound to 127.0.0.1 here) -------------
port=$(free_port)
tls_port=$(free_port)
"$accounts" --site "$site" --out "$tmp/acc" --devices "$root/broker-config/devices-demo.txt" \
	--port "$port" --tls --tls-port "$tls_port" --tls-bind 127.0.0.1 >/dev/null
check "re-running vq-accounts keeps every password" cmp -s "$tmp/credentials.first" "$tmp/acc/credentials"
cp "$tmp/acc/mosquitto-tls.conf" "$tmp/tls.conf"
# As root, mosquitto would switch to the "mosquitto" user, who cannot read this scratch folder.
if [ "$(id -u)" -eq 0 ]; then echo 'user root' >>"$tmp/tls.conf"; fi
check "TLS broker starts" start_broker "$tmp/tls.conf" "$tls_port"

if [ -n "$broker_pid" ]; then
	CONN=(-h localhost -p "$tls_port")
	tls_dir=$tmp/acc/tls
	sub vqd "$tmp/t1" -C 1 -t "$P/svc/+/+"
	pub board-1 -t "$P/svc/issue/board-1" -m forged || true
	check "TLS: display certificate's svc/issue gets PUBACK 0x87" puback_is 135
	pub kiosk-1 -t "$P/svc/issue/kiosk-1" -m tls-issue || true
	sub_wait
	check "TLS: kiosk certificate publishes svc/issue/<CN>, display's is dropped" \
		first_rx_is "$tmp/t1" "$P/svc/issue/kiosk-1 tls-issue"

	pub kiosk-1 -u vqd -t "$P/state/a-1" -m forged || true
	check "TLS: the certificate's CN wins over a username sent in CONNECT" puback_is 135
	pub_raw --cafile "$tls_dir/ca.crt" -u kiosk-1 -P "$(pw kiosk-1)" -t "$P/svc/issue/kiosk-1" -m x || true
	check "TLS: no client certificate, no connection" \
		fails grep -q 'received CONNACK (0)' "$tmp/pub.out"

	# A revoked certificate: refused at connect once the broker re-reads the CRL (SIGHUP);
	# the device, still listed, gets a new certificate that works.
	mkdir -p "$tmp/stolen"
	cp "$tls_dir/devices/kiosk-2.crt" "$tls_dir/devices/kiosk-2.key" "$tmp/stolen/"
	pub kiosk-2 -t "$P/presence/kiosk-2" -m before || true
	check "TLS: kiosk-2's certificate connects before it is revoked" allowed
	"$accounts" --site "$site" --out "$tmp/acc" --devices "$root/broker-config/devices-demo.txt" \
		--port "$port" --tls --tls-port "$tls_port" --tls-bind 127.0.0.1 --revoke kiosk-2 >/dev/null
	check "vq-accounts --revoke lists the certificate in tls/crl.pem" \
		grep -q "$(openssl x509 -in "$tmp/stolen/kiosk-2.crt" -noout -serial | sed 's/^serial=//')" \
		<(openssl crl -in "$tls_dir/crl.pem" -noout -text)
	kill -HUP "$broker_pid"
	sleep 0.3
	pub_raw --cafile "$tls_dir/ca.crt" --cert "$tmp/stolen/kiosk-2.crt" --key "$tmp/stolen/kiosk-2.key" \
		-i kiosk-2 -t "$P/presence/kiosk-2" -m stolen || true
	check "TLS: the revoked certificate is refused at connect (after SIGHUP)" \
		fails grep -q 'received CONNACK' "$tmp/pub.out"
	pub kiosk-2 -t "$P/presence/kiosk-2" -m renewed || true
	check "TLS: kiosk-2's new certificate connects" allowed
	check "vq-accounts --revoke without --tls is refused" \
		fails "$accounts" --site "$site" --out "$tmp/acc" --device kiosk:kiosk-2 --revoke kiosk-2
	check "vq-accounts --revoke of a device without a certificate is refused" \
		fails "$accounts" --site "$site" --out "$tmp/acc" --device kiosk:kiosk-2 --tls --revoke nobody

	sub vqd "$tmp/t2" -C 1 -t "$P/svc/+/+"
	CONN=(-h 127.0.0.1 -p "$port")
	tls_dir=''
	pub ops-1 -t "$P/svc/ops/ops-1" -m local-tool || true
	sub_wait
	check "loopback tools listener takes passwords, same ACL" first_rx_is "$tmp/t2" "$P/svc/ops/ops-1 local-tool"
fi
stop_broker

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
