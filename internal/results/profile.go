package results

// Profile is the exact, serial statement count per page: cold versus warm
// SQL cache, one request at a time, each capture cross-checked against the
// backend's own counter.
type Profile struct {
	// AppPrimed says whether each URL was requested once before measuring,
	// so the shop's own caches were warm (PrestaShop's "app-warm"). A
	// profile never mixes primed and unprimed pages.
	AppPrimed bool `json:"app_primed"`
	Samples   int  `json:"samples"`
	// Valid is false when any measurement was polluted or failed; Problems
	// lists each case. Invalid numbers are kept, never shown as valid.
	Valid    bool     `json:"valid"`
	Problems []string `json:"problems,omitempty"`
	// Warnings are worth reading but do not invalidate the numbers (a
	// phase skipped, a redirect followed, a shop that is not
	// deterministic).
	Warnings []string `json:"warnings,omitempty"`
	// CacheMode is the proxy's cache mode as its admin API reported it
	// ("off" makes the profile invalid: cold equals warm by construction).
	CacheMode string `json:"cache_mode,omitempty"`
	// Phases lists the phases measured, in order (PhaseCold, ...).
	Phases []string      `json:"phases,omitempty"`
	Pages  []PageProfile `json:"pages"`
	Kinds  []KindProfile `json:"kinds"`
	// CounterCheck summarises the agreement of every capture with the
	// backend's Questions counter.
	CounterCheck CounterCheck `json:"counter_check"`
}

// Phases of a page profile.
const (
	PhaseCold      = "cold"       // proxy cache flushed, then the page
	PhaseWarm      = "warm"       // the same page again
	PhaseWarmOther = "warm_other" // another page of the same kind after others warmed the cache
)

// PageProfile is one URL's measurements.
type PageProfile struct {
	Kind      string `json:"kind"`
	URL       string `json:"url"`
	AppPrimed bool   `json:"app_primed"`
	Cold      *Phase `json:"cold,omitempty"`
	Warm      *Phase `json:"warm,omitempty"`
	WarmOther *Phase `json:"warm_other,omitempty"`
}

// Phase is one phase of one page: the details of its median sample (by
// backend statements) and the counts of every sample.
type Phase struct {
	ClientStatements  int `json:"client_statements"`
	BackendStatements int `json:"backend_statements"`
	// BackendCommands counts every command sent to the backend, including
	// each connection's COM_QUIT.
	BackendCommands int              `json:"backend_commands"`
	Hits            int              `json:"hits"`
	Misses          int              `json:"misses"`
	Stores          int              `json:"stores"`
	Bypass          map[string]int   `json:"bypass"`
	NotStored       map[string]int   `json:"not_stored,omitempty"`
	Tables          map[string]Table `json:"tables"`
	TopDigests      []Digest         `json:"top_digests"`
	BackendTimeNs   int64            `json:"backend_time_ns"`
	// CacheTimeNs is the time the proxy spent inside cache-store calls for
	// the page (lookups, fills and the invalidations its writes caused);
	// CacheCalls counts those calls. Both 0 with the cache off.
	CacheTimeNs int64 `json:"cache_time_ns,omitempty"`
	CacheCalls  int   `json:"cache_calls,omitempty"`
	// BackendIdleNs sums, over the page's client commands that were sent
	// to the backend, how long their backend session had been idle before
	// each was sent (since the previous response on that connection, or
	// since its login); BackendIdleCount is the number of those commands,
	// so BackendIdleNs/BackendIdleCount is the mean idle gap.
	BackendIdleNs    int64 `json:"backend_idle_ns,omitempty"`
	BackendIdleCount int   `json:"backend_idle_count,omitempty"`
	Connections      int   `json:"connections"`
	HTTP             HTTP  `json:"http"`
	// Samples are the backend statement counts of every sample, in order;
	// ClientSamples the client statement counts.
	Samples       []int `json:"samples"`
	ClientSamples []int `json:"client_samples"`
	// Check is the backend counter cross-check of the median sample.
	Check *PhaseCheck `json:"check,omitempty"`
	// BackendByCommand breaks BackendCommands down by command name
	// (COM_QUERY, COM_QUIT, ...), as the Questions cross-check uses it.
	BackendByCommand map[string]int `json:"backend_by_command,omitempty"`
	// Errors counts MySQL error responses the shop received.
	Errors int `json:"errors,omitempty"`
	// Problems lists why any sample of this phase is invalid (prefixed
	// "sample N:"); empty when every sample is valid.
	Problems []string `json:"problems,omitempty"`
}

// Table is a table's statement counts in a phase.
type Table struct {
	Reads   int `json:"reads"`
	Hits    int `json:"hits"`
	Misses  int `json:"misses"`
	Bypass  int `json:"bypass"`
	Backend int `json:"backend"`
}

// Digest is one statement shape's counts in a phase.
type Digest struct {
	Digest        string `json:"digest"`
	Normalized    string `json:"normalized"`
	Kind          string `json:"kind"`
	Count         int    `json:"count"`
	Hits          int    `json:"hits"`
	Misses        int    `json:"misses"`
	Bypass        int    `json:"bypass"`
	BackendCount  int    `json:"backend_count"`
	BackendTimeNs int64  `json:"backend_time_ns"`
}

// HTTP is what the page request itself did.
type HTTP struct {
	Status  int   `json:"status"`
	Bytes   int64 `json:"bytes"`
	TTFBNs  int64 `json:"ttfb_ns"`
	TotalNs int64 `json:"total_ns"`
	// Redirects counts the redirects followed; FinalURL is where they led
	// (set only when Redirects > 0).
	Redirects int    `json:"redirects,omitempty"`
	FinalURL  string `json:"final_url,omitempty"`
}

// PhaseCheck compares a capture with the backend's Questions counter.
type PhaseCheck struct {
	// QuestionsDelta is how much Questions grew over the capture, less
	// the measuring tool's own extra readings; Expected is what the
	// capture's backend commands predict.
	QuestionsDelta int    `json:"questions_delta"`
	Expected       int    `json:"expected"`
	Agree          bool   `json:"agree"`
	Note           string `json:"note,omitempty"`
}

// CounterCheck summarises every PhaseCheck of a profile.
type CounterCheck struct {
	// Available is false when no backend DSN with the privilege to read
	// status counters was given; Note then says so.
	Available bool   `json:"available"`
	Checked   int    `json:"checked"`
	Agreed    int    `json:"agreed"`
	Note      string `json:"note,omitempty"`
	// Formula says how Expected is computed from the backend commands.
	Formula string `json:"formula,omitempty"`
}

// KindProfile aggregates the pages of one kind.
type KindProfile struct {
	Kind      string `json:"kind"`
	Pages     int    `json:"pages"`
	Cold      Stat   `json:"cold"`
	Warm      Stat   `json:"warm"`
	WarmOther *Stat  `json:"warm_other,omitempty"`
	// ClientCold etc. are the statements the shop sent (unchanged by the cache).
	ClientCold Stat `json:"client_cold"`
	// Reduction is 1 - warm/cold of the medians of backend statements;
	// ReductionWarmOther the same for warm-other.
	Reduction          float64  `json:"reduction"`
	ReductionWarmOther *float64 `json:"reduction_warm_other,omitempty"`
	// StillReaching explains what still reaches MySQL on warm pages (the
	// median warm sample of each page, summed over the kind's pages).
	StillReaching StillReaching `json:"still_reaching"`
}

// Stat is the median, minimum and maximum over samples.
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// StillReaching is the actionable part: why warm pages still reach MySQL.
type StillReaching struct {
	Backend    int            `json:"backend_statements"`
	ByReason   map[string]int `json:"by_reason"`
	ByTable    map[string]int `json:"by_table"`
	TopDigests []Digest       `json:"top_digests"`
}
