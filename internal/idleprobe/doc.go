// Package idleprobe measures what a server adds to a round trip when it
// sat idle before the request: its idle cost.
//
// A database or Redis that answers a statement in 40 µs back to back can
// take 150 µs or more once it has idled for a few hundred microseconds
// (measured on this project's 2-core VM: MariaDB's point select 40 µs hot,
// 110–230 µs after 0.1–2 ms idle; go-mysql-server +100–250 µs on 500 µs).
// The thread went to sleep, the vCPU halted, caches cooled: waking costs
// time on every request. A network round trip makes every statement of a
// page arrive at an idle server, so a capacity model that takes per-
// statement time from a back-to-back run and only adds the RTT
// under-predicts SQL time per page; internal/capacity adds the idle cost
// measured here.
//
// Measure times one cheap exchange (SELECT 1, PING) back to back and
// after each idle gap, interleaving the gaps over several rounds so that
// drift of a noisy machine spreads over all of them. The client idles
// with the latency relay's own Sleeper (netpoller sleep, then a short
// spin), as a process waiting on a delayed network does. The result is a
// host property of the server as reached from here: a server busy with
// other clients idles less and pays less, so a model using it is
// pessimistic for saturated databases.
package idleprobe
