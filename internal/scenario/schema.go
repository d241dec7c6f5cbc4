package scenario

//go:generate go run ./schemagen -o ../../scenarios/scenario.schema.json

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

// SchemaID is the $id of scenarios/scenario.schema.json.
const SchemaID = "https://github.com/psbench/psbench/scenarios/scenario.schema.json"

const modulePath = "github.com/psbench/psbench"

// Patterns shared by the schema and the docs.
const (
	durationPattern = `^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`
	byteSizePattern = `^\s*[0-9]+\s*([bB]|[kKmMgG]|[kKmMgG][bB]|[kKmMgG][iI][bB])?\s*$`
	ratePattern     = `^\s*[0-9]+\s*/\s*([0-9]+(\.[0-9]+)?)?(ns|us|µs|ms|s|m|h)\s*$`
)

// JSONSchema generates the scenario file's JSON Schema from the Go types.
// Descriptions come from the doc comments of this package and of
// internal/proxycache, read from source under srcDir (this package's
// directory), so it runs from `go generate` and tests, not from a binary.
func JSONSchema(srcDir string) ([]byte, error) {
	comments := map[string]string{}
	for _, rel := range []string{".", "../proxycache"} {
		if err := collectComments(filepath.Join(srcDir, rel), comments); err != nil {
			return nil, err
		}
	}
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true,
		CommentMap:                 comments,
		Mapper:                     mapType,
	}
	s := r.Reflect(&Scenario{})
	s.ID = SchemaID
	s.Title = "psbench scenario"
	s.Description = "A psbench scenario: the shop to start, how the proxy caches, the pages to profile, the load to apply and the thresholds that decide pass or fail. Defaults fill whatever is left out (`psbench validate --print` shows them)."
	if err := refine(s); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// mapType gives Duration and ByteSize their text forms.
func mapType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[proxycache.Duration]():
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
			{Type: "string", Pattern: durationPattern, Examples: []any{"30s", "250ms", "10m"}},
			{Type: "integer", Const: 0},
		}}
	case reflect.TypeFor[proxycache.ByteSize]():
		return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
			{Type: "string", Pattern: byteSizePattern, Examples: []any{"256MiB", "64KiB"}},
			{Type: "integer", Minimum: "0"},
		}}
	}
	return nil
}

// refine adds what the Go types cannot say: enums, patterns, bounds,
// required keys, the rate/ramp choice and the target block rule.
func refine(root *jsonschema.Schema) error {
	defs := root.Definitions
	var err error
	prop := func(def, name string) *jsonschema.Schema {
		d, ok := defs[def]
		if !ok {
			err = fmt.Errorf("schema: no definition %s", def)
			return &jsonschema.Schema{}
		}
		p, ok := d.Properties.Get(name)
		if !ok {
			err = fmt.Errorf("schema: no property %s.%s", def, name)
			return &jsonschema.Schema{}
		}
		return p
	}
	u64 := func(n uint64) *uint64 { return &n }
	enum := func(vals ...string) []any {
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = v
		}
		return out
	}

	// Target: the kind and its block.
	prop("Target", "kind").Enum = enum(KindEmbedded, KindDocker, KindExternal)
	only := func(kind string, others ...string) *jsonschema.Schema {
		var anyOf []*jsonschema.Schema
		for _, o := range others {
			anyOf = append(anyOf, &jsonschema.Schema{Required: []string{o}})
		}
		return &jsonschema.Schema{
			If:   &jsonschema.Schema{Properties: props("kind", &jsonschema.Schema{Const: kind})},
			Then: &jsonschema.Schema{Not: &jsonschema.Schema{AnyOf: anyOf}},
		}
	}
	ext := only(KindExternal, KindEmbedded, KindDocker)
	ext.If.Required = []string{"kind"}
	ext.Then.Required = []string{KindExternal}
	dock := only(KindDocker, KindEmbedded, KindExternal)
	dock.If.Required = []string{"kind"}
	defs["Target"].AllOf = []*jsonschema.Schema{only(KindEmbedded, KindDocker, KindExternal), dock, ext}
	for _, b := range embeddedBounds {
		p := prop("Embedded", b.key)
		p.Minimum, p.Maximum = jsonNum(b.min), jsonNum(b.max)
	}
	prop("Embedded", "scale").ExclusiveMinimum = "0"
	prop("Embedded", "scale").Maximum = jsonNum(maxScale)
	prop("Docker", "nodes").Minimum, prop("Docker", "nodes").Maximum = "1", "16"
	defs["External"].Required = []string{"base_url", "backend", "proxy_listen"}
	prop("External", "base_url").Pattern = `^https?://[^/]+`
	prop("External", "base_url").Format = "uri"
	prop("External", "proxy_listen").Pattern = `^.+:[0-9]+$`
	prop("BackendDSN", "addr").Pattern = `^.+:[0-9]+$`
	defs["BackendDSN"].Required = []string{"addr", "user"}

	// Cache (proxycache's types).
	prop("CacheConfig", "mode").Enum = enum(proxycache.CacheLocal, proxycache.CacheRedis, proxycache.CacheLocalRedis)
	prop("CacheConfig", "mode").Description += " (off is not allowed in a scenario: the baseline mode already runs with the cache off)"
	prop("BlacklistConfig", "preset").Enum = enum(sqlclass.PresetNames()...)

	// Pages: well-known kinds complete in editors; custom kinds match the pattern.
	pages := prop("Scenario", "pages")
	pageRef := pages.AdditionalProperties
	pages.AdditionalProperties = jsonschema.FalseSchema
	pages.Properties = orderedmap.New[string, *jsonschema.Schema]()
	for _, k := range WellKnownKinds {
		pages.Properties.Set(k, &jsonschema.Schema{Ref: pageRef.Ref})
	}
	pages.PatternProperties = map[string]*jsonschema.Schema{kindNameRE.String(): {Ref: pageRef.Ref}}
	pages.MinProperties = u64(1)
	prop("Pages", "template").Pattern = `\{id\}`
	prop("Pages", "ids").Items.Minimum = "1"
	prop("Pages", "discover").Minimum, prop("Pages", "discover").Maximum = "0", "1000"
	prop("Pages", "samples").Minimum, prop("Pages", "samples").Maximum = "1", "100"
	defs["Pages"].AnyOf = []*jsonschema.Schema{
		{Required: []string{"urls"}}, {Required: []string{"template", "ids"}}, {Required: []string{"discover"}},
	}

	// Profile.
	phases := prop("Profile", "phases")
	phases.Items.Enum = enum(PhaseCold, PhaseWarm, PhaseWarmOther)
	phases.UniqueItems = true
	phases.Description = "Profile phases to measure: cold (proxy cache flushed, then the page), warm (the same page again), warm_other (another page of the kind after others warmed the cache)."
	prop("Profile", "samples").Minimum, prop("Profile", "samples").Maximum = "1", "100"
	prop("Profile", "top_digests").Minimum, prop("Profile", "top_digests").Maximum = "0", "1000"

	// Load.
	modes := prop("LoadConfig", "modes")
	modes.Items.Enum = enum(ModeBaseline, ModeCached)
	modes.UniqueItems = true
	modes.MinItems = u64(1)
	lp := defs["LoadPhase"]
	lp.Required = []string{"name", "duration", "max_concurrency"}
	lp.OneOf = []*jsonschema.Schema{{Required: []string{"rate"}}, {Required: []string{"ramp"}}}
	prop("LoadPhase", "name").Pattern = phaseNameRE.String()
	prop("LoadPhase", "name").Not = &jsonschema.Schema{Enum: enum(ModeBaseline, ModeCached)}
	prop("LoadPhase", "rate").Pattern = ratePattern
	prop("LoadPhase", "rate").Examples = []any{"20/s", "600/m"}
	prop("LoadPhase", "max_concurrency").Minimum, prop("LoadPhase", "max_concurrency").Maximum = "1", "10000"
	prop("LoadPhase", "weights").PropertyNames = &jsonschema.Schema{Pattern: kindNameRE.String()}
	prop("LoadPhase", "weights").AdditionalProperties.Minimum = "0"
	defs["Ramp"].Required = []string{"from", "to"}
	prop("Ramp", "from").Pattern, prop("Ramp", "to").Pattern = ratePattern, ratePattern

	th := prop("Scenario", "thresholds")
	th.Description = "Pass/fail expressions `<expr> <cmp> <expr>` over metrics, numbers, durations (500ms) and percentages (1%): <kind>.{cold,warm,warm_other}.{backend_statements,client_statements,hits}, <kind>.reduction, <kind>.reduction_warm_other, load.{baseline,cached}.{rps,p50,p90,p95,p99,max,mean,errors,hit_ratio,backend_per_request} (the last load phase) and load.<phase>.{baseline,cached}.<stat>."
	th.Items.Examples = []any{"product.reduction >= 0.5", "load.cached.errors < 1%", "load.cached.p95 < 1s"}
	th.Items.MinLength = u64(1)

	setDefaults(root, defaults("", KindEmbedded))
	return err
}

func props(kv ...any) *orderedmap.OrderedMap[string, *jsonschema.Schema] {
	m := orderedmap.New[string, *jsonschema.Schema]()
	for i := 0; i+1 < len(kv); i += 2 {
		m.Set(kv[i].(string), kv[i+1].(*jsonschema.Schema))
	}
	return m
}

func jsonNum(n int) json.Number { return json.Number(fmt.Sprint(n)) }

// setDefaults records the defaults of scalar and string-list fields, walking
// the default scenario and the schema definitions together.
func setDefaults(root *jsonschema.Schema, s *Scenario) {
	d := DefaultDocker()
	walkDefaults(root.Definitions, reflect.ValueOf(*s))
	walkDefaults(root.Definitions, reflect.ValueOf(d))
}

func walkDefaults(defs jsonschema.Definitions, v reflect.Value) {
	def, ok := defs[v.Type().Name()]
	if !ok || def.Properties == nil {
		return
	}
	for name, f := range yamlFields(v.Type()) {
		p, ok := def.Properties.Get(name)
		if !ok {
			continue
		}
		fv := v.FieldByIndex(f.Index)
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
		}
		if tm, ok := fv.Interface().(interface{ MarshalText() ([]byte, error) }); ok {
			if !fv.IsZero() {
				b, _ := tm.MarshalText()
				p.Default = string(b)
			}
			continue
		}
		switch fv.Kind() {
		case reflect.Struct:
			walkDefaults(defs, fv)
		case reflect.String:
			if fv.String() != "" {
				p.Default = fv.String()
			}
		case reflect.Bool:
			p.Default = fv.Bool()
		case reflect.Int, reflect.Int64:
			if fv.Int() != 0 {
				p.Default = fv.Int()
			}
		case reflect.Float64:
			if fv.Float() != 0 {
				p.Default = fv.Float()
			}
		case reflect.Slice:
			if fv.Len() > 0 && fv.Type().Elem().Kind() == reflect.String {
				p.Default = fv.Interface()
			}
		}
	}
}

// collectComments reads the doc comments of the exported types and fields
// in one package directory (not recursive; tests excluded) into the
// reflector's comment map format: "<import path>.<Type>[.<Field>]".
func collectComments(dir string, out map[string]string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	pkg := modulePath + "/internal/" + filepath.Base(abs)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("schema comments: %w", err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if !ts.Name.IsExported() {
					continue
				}
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				if doc != nil {
					out[pkg+"."+ts.Name.Name] = oneParagraph(doc.Text())
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fld := range st.Fields.List {
					c := fld.Doc
					if c == nil {
						c = fld.Comment
					}
					if c == nil {
						continue
					}
					for _, name := range fld.Names {
						out[pkg+"."+ts.Name.Name+"."+name.Name] = oneParagraph(c.Text())
					}
				}
			}
		}
	}
	return nil
}

// oneParagraph joins a comment's lines into one line per paragraph.
func oneParagraph(s string) string {
	paras := strings.Split(strings.TrimSpace(s), "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(paras, "\n\n")
}
