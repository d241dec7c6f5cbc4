// Package capacity turns a results directory into a capacity plan: how
// many statements per second reach MySQL at a given traffic with no SQL
// cache, a local (per web node) cache and a shared (Redis) cache; how much
// SQL time a page spends in each topology as the cache's network round
// trip grows, and where a shared cache stops paying (break-even RTT); how
// many web nodes the traffic needs; and how much headroom MySQL keeps. It
// reads results types only and never starts anything (the validation test
// is the exception, and it is a test).
//
// # Inputs, per page kind k (means over the kind's profiled pages)
//
//	C          client statements per page (what the shop sends)
//	S_cold     backend statements, SQL cache flushed (in-page repeats hit)
//	S_warm     backend statements, the same page again
//	S_wo       backend statements, another page of the kind after others
//	           warmed the cache (warm_other)
//	K          cacheable lookups per page (cold hits + misses)
//	H_cold, H_warm, H_wo   hits per page in each phase
//	t_db       MySQL time per statement: Σ backend_time / Σ backend
//	           statements over every phase of the app-warm (primed) pages,
//	           minus the RTT the run injected (scenario network.db_rtt).
//	           The SQL-warm phase alone is not used: what still reaches
//	           MySQL there (writes, SET, never-cache tables) is a biased mix.
//	rtt_db     round trip proxy↔MySQL in the plan (--db-rtt, default: the
//	           run's injected db_rtt, 0 on loopback)
//	t_hit      local hit: 5 µs, a constant: a hash lookup and a copy of a
//	           result of a few KB inside the proxy process; the shop↔proxy
//	           hop is the same in every topology and left out of all three.
//	t_redis    Redis service time: 25 µs, a constant: one pipelined
//	           GET + MGET (entry and table versions) of a few KB, measured
//	           order of magnitude for go-redis on loopback.
//
// # Hit ratio (stated with every plan)
//
// The profile is serial: warm_other is the best case for a page never seen
// before, warm for a page seen within the TTL. Under traffic λ_k pages/s of
// kind k over a catalogue of N_k pages (uniform popularity, Poisson
// arrivals: pessimistic for real, skewed traffic), within one TTL
//
//	p_kind = 1 − exp(−λ_k · TTL)          some page of the kind was seen
//	p_page = 1 − exp(−λ_k · TTL / N_k)    this very page was seen
//	H_eff  = H_cold + (H_wo − H_cold) · p_kind + (H_warm − H_wo) · p_page
//	h_eff  = H_eff / K,  misses M_eff = K − H_eff
//
// i.e. h_eff = h_warm_other × p_kind (+ the page's own statements × the
// fraction of the catalogue revisited within the TTL). A local cache sees
// one node's traffic (λ_k / nodes); a shared cache sees all of it. N_k is
// --catalogue kind=N, by default the number of pages profiled (say so: a
// real catalogue is larger and its own-page hits lower).
//
// # SQL time per page
//
//	no cache       C · (t_db + rtt_db)
//	local cache    H_eff · t_hit + M_eff · t_hit + (C − H_eff) · (t_db + rtt_db)
//	shared at r    H_eff · (r + t_redis) + (C − H_eff) · (t_db + rtt_db)
//	               + 2 · M_eff · (r + t_redis)    a miss's GET and its fill SET
//	break-even r*  shared = no cache:
//	               r* = H_eff · (t_db + rtt_db) / (H_eff + 2 · M_eff) − t_redis
//	               (none when r* ≤ 0: a shared cache never pays)
//
// Per-kind values are combined with the traffic shares (a load phase's
// per-kind requests, else equal). Connection set-up (each page opens two
// connections, a MySQL handshake is ~2 round trips) is not in SQL time.
//
// # Traffic, nodes, database
//
//	pages/s R      --target-rps, or U / (T + page latency) for
//	               --concurrent-users U --think-time T (Little's law; the
//	               latency is the cached load phase's mean, 0 without load)
//	MySQL stmts/s  R · Σ_k share_k · (C_k | C_k − H_eff,local | C_k − H_eff,shared)
//	nodes needed   ⌈R / (per-node throughput · utilisation)⌉, per-node
//	               throughput = a load phase's throughput / the run's nodes
//	               (an upper bound on nodes unless the phase saturated)
//	DB headroom    1 − stmts/s / --db-max-qps
//
// A target above 2× the highest measured throughput is refused (the model
// is linear in traffic, the shop is not: queues, locks and CPU saturate),
// unless --force.
//
// # Validation
//
// Calibrated on one run, the model predicts SQL time per page (backend time
// of each profiled page and phase) at other injected database RTTs as
// statements × (t_db + r). TestValidationAgainstInjectedLatency measures it
// on the embedded storefront at db RTT 0, 0.5, 1 and 2 ms (calibrated at 0)
// and requires ±15 %; `psbench plan --validate dir,...` does the same with
// runs of scenarios/capacity-validation.yaml at several network.db_rtt.
package capacity
