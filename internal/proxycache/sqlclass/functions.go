package sqlclass

import "github.com/pingcap/tidb/pkg/parser/ast"

// nondeterministicFuncs are MySQL/MariaDB builtins whose result depends on
// the time, randomness, the connection or the server's state rather than on
// their arguments and the data, or that have side effects. A statement that
// calls one is never cached. The list documents intent: any function absent
// from deterministicFuncs is treated the same way.
var nondeterministicFuncs = setOf(
	// time
	"now", "current_timestamp", "localtime", "localtimestamp", "sysdate",
	"curdate", "current_date", "curtime", "current_time",
	"utc_date", "utc_time", "utc_timestamp",
	// randomness and identifiers
	"rand", "random_bytes", "uuid", "uuid_short", "uuid_v4", "uuid_v7",
	// the connection
	"last_insert_id", "found_rows", "row_count", "connection_id",
	"user", "current_user", "session_user", "system_user", "current_role",
	// side effects and waits
	"sleep", "benchmark", "get_lock", "release_lock", "release_all_locks",
	"is_free_lock", "is_used_lock", "master_pos_wait", "source_pos_wait",
	"load_file",
	// sequences (NEXT VALUE FOR s is parsed as nextval)
	"nextval", "lastval", "setval",
)

// deterministicFuncs are the builtins whose result depends only on their
// arguments, the data read and session state the cache key already covers
// (current database, sql_mode, character set, time_zone, ...). Names are
// lower-case as in ast.FuncCallExpr.FnName.L, including the parser's internal
// names for special syntax (CHAR(), INSERT(), DATE '...', ->, MEMBER OF).
// UNIX_TIMESTAMP is handled separately: it is deterministic only with an
// argument.
var deterministicFuncs = setOf(
	// control flow and comparison
	"if", "ifnull", "nullif", "coalesce", "greatest", "least", "interval",
	"isnull", "strcmp", "field", "elt", "find_in_set", "any_value", "grouping",
	"name_const",
	// strings
	"ascii", "bin", "bit_length", ast.CharFunc, "char", "char_length",
	"character_length", "concat", "concat_ws", "export_set", "format",
	"from_base64", "hex", ast.InsertFunc, "instr", "lcase", "left", "length",
	"locate", "lower", "lpad", "ltrim", "make_set", "mid", "oct",
	"octet_length", "ord", "position", "quote", "regexp_instr", "regexp_like",
	"regexp_replace", "regexp_substr", "repeat", "replace", "reverse", "right",
	"rpad", "rtrim", "soundex", "space", "substr", "substring",
	"substring_index", "to_base64", "trim", "ucase", "unhex", "upper",
	"weight_string", "convert", "format_bytes", "format_pico_time",
	// numbers
	"abs", "acos", "asin", "atan", "atan2", "ceil", "ceiling", "conv", "cos",
	"cot", "crc32", "degrees", "exp", "floor", "ln", "log", "log10", "log2",
	"mod", "pi", "pow", "power", "radians", "round", "sign", "sin", "sqrt",
	"tan", "truncate", "bit_count",
	// dates and times computed from their arguments
	"adddate", "addtime", "convert_tz", "date", "date_add", "date_format",
	"date_sub", "datediff", "day", "dayname", "dayofmonth", "dayofweek",
	"dayofyear", "extract", "from_days", "from_unixtime", "get_format", "hour",
	"last_day", "makedate", "maketime", "microsecond", "minute", "month",
	"monthname", "period_add", "period_diff", "quarter", "sec_to_time",
	"second", "str_to_date", "subdate", "subtime", "time", "time_format",
	"time_to_sec", "timediff", "timestamp", "timestampadd", "timestampdiff",
	"to_days", "to_seconds", "week", "weekday", "weekofyear", "year",
	"yearweek", ast.DateLiteral, ast.TimeLiteral, ast.TimestampLiteral,
	// session information the cache key covers, and server constants
	"database", "schema", "charset", "coercibility", "collation", "version",
	// network addresses and UUID conversions
	"inet_aton", "inet_ntoa", "inet6_aton", "inet6_ntoa", "is_ipv4",
	"is_ipv4_compat", "is_ipv4_mapped", "is_ipv6", "is_uuid", "uuid_to_bin",
	"bin_to_uuid",
	// hashing, encryption with explicit keys, compression
	"md5", "sha", "sha1", "sha2", "aes_encrypt", "aes_decrypt", "compress",
	"uncompress", "uncompressed_length", "statement_digest",
	"statement_digest_text",
	// JSON
	"json_array", "json_array_append", "json_array_insert", "json_contains",
	"json_contains_path", "json_depth", "json_extract", "json_insert",
	"json_keys", "json_length", "json_merge", "json_merge_patch",
	"json_merge_preserve", "json_object", "json_overlaps", "json_pretty",
	"json_quote", "json_remove", "json_replace", "json_schema_valid",
	"json_schema_validation_report", "json_search", "json_set",
	"json_storage_free", "json_storage_size", "json_type", "json_unquote",
	"json_valid", "json_value", "json_memberof",
	// spatial
	"point", "linestring", "polygon", "st_distance", "st_distance_sphere",
	"st_astext", "st_aswkt", "st_geomfromtext", "st_geometryfromtext",
	"st_pointfromtext", "st_x", "st_y", "st_srid", "st_latitude",
	"st_longitude", "st_contains", "st_within", "st_intersects",
	"mbrcontains", "mbrwithin",
)

// deterministicCall reports whether a function call's result depends only on
// its arguments and the data. Schema-qualified calls are stored functions,
// and unknown names are user-defined or stored functions: neither is.
func deterministicCall(f *ast.FuncCallExpr) bool {
	if f.Schema.L != "" {
		return false
	}
	name := f.FnName.L
	if _, ok := nondeterministicFuncs[name]; ok {
		return false
	}
	if name == "unix_timestamp" {
		return len(f.Args) > 0
	}
	_, ok := deterministicFuncs[name]
	return ok
}

func setOf(names ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(names))
	for _, n := range names {
		m[n] = struct{}{}
	}
	return m
}
