// Package dockerfiles holds static checks of the container files in this
// directory and of the nightly workflow template: they are parsed and
// checked here; building and running them needs a Docker engine (see
// README.md).
package dockerfiles

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/psbench/psbench/internal/scenario"
	tdocker "github.com/psbench/psbench/internal/target/docker"
)

type step struct {
	Name            string            `yaml:"name"`
	ID              string            `yaml:"id"`
	If              string            `yaml:"if"`
	Uses            string            `yaml:"uses"`
	Run             string            `yaml:"run"`
	With            map[string]any    `yaml:"with"`
	Env             map[string]string `yaml:"env"`
	ContinueOnError bool              `yaml:"continue-on-error"`
}

type workflow struct {
	Name string         `yaml:"name"`
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		RunsOn         string `yaml:"runs-on"`
		TimeoutMinutes int    `yaml:"timeout-minutes"`
		Steps          []step `yaml:"steps"`
	} `yaml:"jobs"`
	Permissions map[string]string `yaml:"permissions"`
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNightlyWorkflow(t *testing.T) {
	var wf workflow
	if err := yaml.Unmarshal(readFile(t, "../.github/workflows/nightly.yml"), &wf); err != nil {
		t.Fatalf("nightly.yml: %v", err)
	}
	sched, ok := wf.On["schedule"].([]any)
	if !ok || len(sched) == 0 {
		t.Fatalf("no nightly schedule: %v", wf.On)
	}
	if cron, _ := sched[0].(map[string]any)["cron"].(string); len(strings.Fields(cron)) != 5 {
		t.Fatalf("cron %q", cron)
	}
	if _, ok := wf.On["workflow_dispatch"]; !ok {
		t.Fatal("no workflow_dispatch")
	}
	if wf.Permissions["actions"] != "read" {
		t.Fatal("downloading another run's artifact needs actions: read")
	}
	job, ok := wf.Jobs["benchmark"]
	if !ok || job.TimeoutMinutes == 0 || !strings.HasPrefix(job.RunsOn, "ubuntu") {
		t.Fatalf("job: %+v", job)
	}
	index := func(pred func(step) bool, what string) int {
		t.Helper()
		i := slices.IndexFunc(job.Steps, pred)
		if i < 0 {
			t.Fatalf("no step that %s", what)
		}
		return i
	}
	uses := func(action string) func(step) bool {
		return func(s step) bool { return strings.HasPrefix(s.Uses, action+"@") }
	}
	runs := func(cmd string) func(step) bool {
		return func(s step) bool { return strings.Contains(s.Run, cmd) }
	}
	checkout := index(uses("actions/checkout"), "checks out")
	setupGo := index(uses("actions/setup-go"), "sets up Go")
	run := index(runs("go run ./cmd/psbench run scenarios/prestashop-docker.yaml"), "runs the docker scenario")
	download := index(uses("actions/download-artifact"), "fetches the previous results")
	compare := index(runs("go run ./cmd/psbench compare previous current --max-regression"), "compares")
	upload := index(func(s step) bool {
		return strings.HasPrefix(s.Uses, "actions/upload-artifact@") && s.With["name"] == "${{ env.RESULTS_ARTIFACT }}"
	}, "uploads the results")
	report := index(func(s step) bool {
		return strings.HasPrefix(s.Uses, "actions/upload-artifact@") && strings.Contains(s.With["path"].(string), "report.html")
	}, "uploads the report")
	verdict := index(runs("exit 1"), "fails on a regression")
	if !(checkout < setupGo && setupGo < run && run < download && download < compare && compare < upload && upload < report && report < verdict) {
		t.Fatalf("step order: checkout %d setup-go %d run %d download %d compare %d upload %d report %d verdict %d",
			checkout, setupGo, run, download, compare, upload, report, verdict)
	}
	if s := job.Steps[download]; s.With["run-id"] == nil || s.With["github-token"] == nil || s.With["path"] != "previous" {
		t.Fatalf("download-artifact needs run-id, github-token and path previous: %v", s.With)
	}
	if !job.Steps[run].ContinueOnError {
		t.Fatal("the run step must not skip the uploads")
	}
	for _, i := range []int{upload, report, verdict} {
		if !strings.Contains(job.Steps[i].If, "always()") {
			t.Errorf("step %q must run after a failure", job.Steps[i].Name)
		}
	}
	if v := job.Steps[verdict]; !strings.Contains(v.Run, `"$COMPARE" = "failure"`) || !strings.Contains(v.Env["COMPARE"], "steps.compare.outcome") {
		t.Fatalf("verdict: %+v", v)
	}
	// The scenario it runs is valid.
	sc, err := scenario.Load("../scenarios/prestashop-docker.yaml")
	if err != nil {
		t.Fatalf("the nightly's scenario: %v", err)
	}
	if sc.Target.Kind != scenario.KindDocker || sc.Target.Docker.Nodes != 1 {
		t.Fatalf("the nightly's scenario must be a one-node docker target: %+v", sc.Target)
	}
}

func TestCompose(t *testing.T) {
	var c struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Ports       []string          `yaml:"ports"`
			Build       map[string]string `yaml:"build"`
			DependsOn   map[string]any    `yaml:"depends_on"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(readFile(t, "compose.yaml"), &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"mysql", "redis", "proxy", "prestashop"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("no service %s", name)
		}
	}
	if m := c.Services["mysql"]; m.Image != "mysql:8.0" || strings.Join(m.Command, " ") != strings.Join(tdocker.MySQLArgs("8.0"), " ") {
		t.Errorf("mysql: %s %v (want the docker target's auth flags)", m.Image, m.Command)
	}
	p := c.Services["proxy"]
	if p.Build["dockerfile"] != "docker/Dockerfile" || p.Build["context"] != ".." || p.Command[0] != "proxy" {
		t.Errorf("proxy: %+v", p)
	}
	flags := strings.Join(p.Command, " ")
	for _, want := range []string{"--listen=0.0.0.0:3307", "--backend=mysql:3306", "--backend-user=prestashop", "--cache=local+redis", "--redis=redis:6379", "--blacklist-preset=prestashop", "--table-prefix=ps_"} {
		if !strings.Contains(flags, want) {
			t.Errorf("proxy flags lack %s: %s", want, flags)
		}
	}
	if _, ok := p.Environment["PSBENCH_BACKEND_PASSWORD"]; !ok {
		t.Error("the backend password goes through PSBENCH_BACKEND_PASSWORD, not a flag")
	}
	ps := c.Services["prestashop"]
	if ps.Environment["DB_SERVER"] != "proxy" || ps.Environment["DB_PORT"] != "3307" || ps.Environment["PS_INSTALL_AUTO"] != "1" {
		t.Errorf("the shop's database must be the proxy: %v", ps.Environment)
	}
	if _, ok := ps.DependsOn["proxy"]; !ok {
		t.Error("the shop starts after the proxy")
	}
	for name, s := range c.Services {
		for _, port := range s.Ports {
			if !strings.HasPrefix(port, "127.0.0.1:") {
				t.Errorf("%s publishes %s beyond loopback", name, port)
			}
		}
	}
}

func TestDockerfile(t *testing.T) {
	df := string(readFile(t, "Dockerfile"))
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)(?:\s+AS\s+(\S+))?`).FindAllStringSubmatch(df, -1)
	if len(froms) != 2 || froms[0][1] != "golang:${GO_VERSION}" || froms[0][2] != "build" || !strings.HasPrefix(froms[1][1], "gcr.io/distroless/static") {
		t.Fatalf("stages: %v", froms)
	}
	if !regexp.MustCompile(`(?m)^ARG GO_VERSION=1\.26$`).MatchString(df) {
		t.Error("builder is not golang:1.26")
	}
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/psbench", "COPY --from=build /out/psbench /usr/local/bin/psbench", `ENTRYPOINT ["/usr/local/bin/psbench"]`} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(user) == 0 || strings.HasPrefix(user[len(user)-1][1], "0") || strings.HasPrefix(user[len(user)-1][1], "root") {
		t.Errorf("the runtime user must not be root: %v", user)
	}
	ignore := string(readFile(t, "Dockerfile.dockerignore"))
	for _, want := range []string{".git", "node_modules", "results"} {
		if !strings.Contains(ignore, want) {
			t.Errorf("Dockerfile.dockerignore lacks %s", want)
		}
	}
}
