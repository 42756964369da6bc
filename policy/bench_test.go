package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cedar-policy/cedar-go"
)

// The benchmark world: 100,000 users, 1,000,000 assets, 10,000 policies,
// generated once per test binary and shared by every benchmark.
const (
	benchUsers    = 100_000
	benchAssets   = 1_000_000
	benchPolicies = 10_000
	benchTags     = 2_000
	benchGroups   = 500
)

type benchWorld struct {
	cat      *Catalog
	policies []Policy
	ev       *Evaluator
	build    time.Duration
	queries  []benchQuery
}

type benchQuery struct {
	user, asset string
	action      Action
}

var (
	benchOnce sync.Once
	benchW    *benchWorld
	benchErr  error
)

func world(b *testing.B) *benchWorld {
	b.Helper()
	benchOnce.Do(func() { benchW, benchErr = genWorld() })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchW
}

// genCatalog makes a catalog shaped like a large company: a few common
// tags (classification, domain) on many assets and a long tail of
// specific ones; users with several attributes and a few groups each.
func genCatalog(r *rand.Rand, nUsers, nAssets, nTags, nGroups int) (*Catalog, error) {
	c := Catalog{Attributes: map[string]Attribute{}, Groups: map[string]Group{}, Tags: map[string]Tag{}}
	attrSizes := map[string]int{"job_title": 200, "department": 30, "trainings": 12, "country": 50, "employment_type": 4}
	attrVals := map[string][]string{}
	for _, k := range keys(attrSizes) {
		vals := map[string]Value{}
		for i := range attrSizes[k] {
			v := fmt.Sprintf("%s-%d", k, i)
			vals[v] = Value{}
			attrVals[k] = append(attrVals[k], v)
		}
		c.Attributes[k] = Attribute{Values: vals}
	}
	groups := make([]string, nGroups)
	for i := range groups {
		groups[i] = fmt.Sprintf("group-%d", i)
		c.Groups[groups[i]] = Group{}
	}
	tags := make([]string, nTags)
	for i := range tags {
		tags[i] = fmt.Sprintf("Tag.%d", i)
		c.Tags[tags[i]] = Tag{}
	}
	// Tags 0-19 are common (each on a few percent of assets), the rest a long tail.
	pickTag := func() string {
		if r.IntN(4) == 0 {
			return tags[r.IntN(20)]
		}
		return tags[20+r.IntN(nTags-20)]
	}
	c.Users = make([]User, nUsers)
	for i := range c.Users {
		u := User{ID: fmt.Sprintf("user%06d@corp.example", i), Name: "u", Attributes: map[string][]string{}}
		for k, vs := range attrVals {
			if k == "trainings" {
				n := r.IntN(4)
				for range n {
					u.Attributes[k] = append(u.Attributes[k], vs[r.IntN(len(vs))])
				}
				continue
			}
			u.Attributes[k] = []string{vs[r.IntN(len(vs))]}
		}
		for range r.IntN(4) {
			u.Groups = append(u.Groups, groups[r.IntN(nGroups)])
		}
		c.Users[i] = u
	}
	c.Assets = make([]Asset, nAssets)
	for i := range c.Assets {
		a := Asset{ID: fmt.Sprintf("db.schema.table%07d", i), Name: "t", Platform: "postgres", Owner: c.Users[r.IntN(nUsers)].ID}
		for range 1 + r.IntN(3) {
			a.Tags = append(a.Tags, pickTag())
		}
		if r.IntN(2) == 0 {
			a.Columns = map[string][]string{}
			for j := range 1 + r.IntN(3) {
				var ct []string
				for range r.IntN(3) {
					ct = append(ct, pickTag())
				}
				a.Columns[fmt.Sprintf("col%d", j)] = ct
			}
		}
		c.Assets[i] = a
	}
	return NewCatalog(c)
}

func genPolicies(r *rand.Rand, c *Catalog, n int) []Policy {
	attrNames := keys(c.Attributes)
	groups := keys(c.Groups)
	tags := keys(c.Tags)
	common := make([]string, 20)
	for i := range common {
		common[i] = fmt.Sprintf("Tag.%d", i)
	}
	out := make([]Policy, 0, n)
	for i := 0; len(out) < n; i++ {
		p := Policy{ID: fmt.Sprintf("p%05d", i), Effect: Allow, Action: Read}
		switch x := r.IntN(10); {
		case x < 2:
			p.Effect = Deny
		case x < 3:
			p.Effect = Mask
		}
		if r.IntN(5) == 0 {
			p.Action = Write
		}
		for range 1 + r.IntN(2) {
			var clause []Term
			for range 1 + r.IntN(3) {
				if r.IntN(4) == 0 {
					clause = append(clause, Term{Group: groups[r.IntN(len(groups))], Negate: r.IntN(5) == 0})
					continue
				}
				k := attrNames[r.IntN(len(attrNames))]
				vals := keys(c.Attributes[k].Values)
				t := Term{Attribute: k, Negate: r.IntN(5) == 0}
				for range 1 + r.IntN(3) {
					t.Values = append(t.Values, vals[r.IntN(len(vals))])
				}
				clause = append(clause, t)
			}
			p.Subjects = append(p.Subjects, clause)
		}
		for range 1 + r.IntN(2) {
			if r.IntN(4) == 0 {
				p.Objects = append(p.Objects, Clause{Asset: c.Assets[r.IntN(len(c.Assets))].ID})
				continue
			}
			cl := Clause{AllTags: []string{tags[r.IntN(len(tags))]}}
			if r.IntN(10) == 0 {
				cl.AllTags = []string{common[r.IntN(len(common))]}
			}
			if r.IntN(3) == 0 {
				cl.AllTags = append(cl.AllTags, common[r.IntN(len(common))])
			}
			if r.IntN(4) == 0 {
				cl.NoneTags = []string{common[r.IntN(len(common))]}
			}
			p.Objects = append(p.Objects, cl)
		}
		out = append(out, p)
	}
	return out
}

func genWorld() (*benchWorld, error) {
	r := rand.New(rand.NewPCG(7, 7))
	c, err := genCatalog(r, benchUsers, benchAssets, benchTags, benchGroups)
	if err != nil {
		return nil, err
	}
	ps := genPolicies(r, c, benchPolicies)
	start := time.Now()
	ev, err := NewEvaluator(c, ps)
	if err != nil {
		return nil, err
	}
	w := &benchWorld{cat: c, policies: ps, ev: ev, build: time.Since(start)}
	// Half the queries are uniform at random (almost all denied); half are
	// aimed inside a policy's coverage, so allows and denies are exercised.
	ix := ev.ix
	someAssets := make([][]uint32, len(ev.policies)) // a few assets each policy covers
	for a := range uint32(len(ix.assetIDs)) {
		for _, p := range ev.candidates(a) {
			if len(someAssets[p]) < 8 {
				someAssets[p] = append(someAssets[p], a)
			}
		}
	}
	someUsers := make([][]uint32, len(ev.policies)) // a few users each policy selects
	for p := range uint32(len(ev.policies)) {
		// The first 64 users below 20,000 that p selects, in position order.
		ev.policyUsers(p).each(func(u uint32) {
			if u < 20000 && len(someUsers[p]) < 64 && !slices.Contains(someUsers[p], u) {
				someUsers[p] = append(someUsers[p], u)
			}
		})
	}
	for len(w.queries) < 1<<20 {
		act := Read
		if r.IntN(4) == 0 {
			act = Write
		}
		if r.IntN(2) == 0 {
			w.queries = append(w.queries, benchQuery{ix.userIDs[r.IntN(len(ix.userIDs))], ix.assetIDs[r.IntN(len(ix.assetIDs))], act})
			continue
		}
		p := r.IntN(len(ev.policies))
		if len(someUsers[p]) == 0 || len(someAssets[p]) == 0 {
			continue
		}
		u := someUsers[p][r.IntN(len(someUsers[p]))]
		a := someAssets[p][r.IntN(len(someAssets[p]))]
		w.queries = append(w.queries, benchQuery{ix.userIDs[u], ix.assetIDs[a], act})
	}
	return w, nil
}

// cpuTime is the process's user+system CPU time. With GOMAXPROCS=1 it
// measures the work of one core even when other processes compete for the
// machine, where wall time would count their share too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkBuildEvaluator(b *testing.B) {
	w := world(b)
	b.ResetTimer()
	b.ReportMetric(w.build.Seconds(), "build-s")
	b.ReportMetric(float64(w.ev.fast.bytes())/(1<<20), "evaluator-MiB") // its own memory, not the catalog's
	cands := 0
	var buf []uint32
	for a := range uint32(benchAssets) {
		buf = w.ev.fast.appendCandidates(buf[:0], a)
		cands += len(buf)
	}
	b.ReportMetric(float64(cands)/float64(benchAssets), "candidates/asset")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
}

// BenchmarkAllowed times the public Allowed on a million (user, asset,
// action) queries in random order, on one core. Each of five passes is
// timed on its own: this machine shares its cores, so the best pass is the
// figure for the code and the median shows the spread.
func BenchmarkAllowed(b *testing.B) {
	w := world(b)
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	allowed := 0
	runtime.GC()
	b.ResetTimer()
	var passes []time.Duration
	cpu0 := cpuTime()
	for range b.N * 5 {
		start := time.Now()
		for _, q := range w.queries {
			if w.ev.Allowed(q.user, q.asset, q.action) {
				allowed++
			}
		}
		passes = append(passes, time.Since(start))
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	slices.Sort(passes)
	n := float64(len(w.queries))
	b.ReportMetric(n/passes[0].Seconds(), "decisions/s")
	b.ReportMetric(n/passes[len(passes)/2].Seconds(), "median-decisions/s")
	b.ReportMetric(n*float64(len(passes))/cpu.Seconds(), "decisions/cpu-s")
	b.ReportMetric(float64(passes[0].Nanoseconds())/n, "ns/decision")
	b.ReportMetric(100*float64(allowed)/(n*float64(len(passes))), "%allowed")
}

func BenchmarkImpact(b *testing.B) {
	w := world(b)
	ix := NewIndex(w.cat)
	// The first 200 generated policies: every shape of subjects and objects.
	sample := append([]Policy(nil), w.policies[:200]...)
	var worst, total, cpu time.Duration
	count := 0
	users, assets := 0, 0
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	b.ResetTimer()
	for range b.N {
		for _, p := range sample {
			start, cpu0 := time.Now(), cpuTime()
			imp := ix.Impact(p)
			d := time.Since(start)
			cpu += cpuTime() - cpu0
			total += d
			worst = max(worst, d)
			count++
			users += len(imp.Users)
			assets += len(imp.Assets)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Microseconds())/1000/float64(count), "ms/impact")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(count), "cpu-ms/impact")
	b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms/impact")
	b.ReportMetric(float64(users)/float64(count), "users/impact")
	b.ReportMetric(float64(assets)/float64(count), "assets/impact")
}

// BenchmarkImpactBroad measures Impact on a deliberately broad policy:
// everyone but one group, on assets with a common tag (~100k assets).
func BenchmarkImpactBroad(b *testing.B) {
	w := world(b)
	ix := NewIndex(w.cat)
	p := Policy{Effect: Allow, Action: Read,
		Subjects: [][]Term{{{Group: "group-1", Negate: true}}, {{Attribute: "department", Values: []string{"department-1", "department-2"}}}},
		Objects:  []Clause{{AllTags: []string{"Tag.1"}}, {AllTags: []string{"Tag.2"}, NoneTags: []string{"Tag.3"}}}}
	var imp Impact
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		imp = ix.Impact(p)
	}
	cpu := cpuTime() - cpu0
	el := b.Elapsed()
	b.StopTimer()
	b.ReportMetric(float64(el.Microseconds())/1000/float64(b.N), "ms/impact")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/impact")
	b.ReportMetric(float64(len(imp.Users)), "users")
	b.ReportMetric(float64(len(imp.Assets)), "assets")
}

// BenchmarkCedarIsAuthorized runs cedar-go on the same 10,000 policies for a
// sample of the Allowed queries (cedar-go evaluates every policy on every
// request, so a full run would take hours), and checks that every answer
// agrees with Allowed.
func BenchmarkCedarIsAuthorized(b *testing.B) {
	w := world(b)
	text, err := cedarText(w.policies)
	if err != nil {
		b.Fatal(err)
	}
	set, err := cedar.NewPolicySetFromBytes("bench.cedar", []byte(text))
	if err != nil {
		b.Fatal(err)
	}
	const sample = 100
	qs := w.queries[:sample]
	// Only the entities a request touches are needed: its user, its asset
	// and the groups.
	need := map[string]bool{}
	for _, q := range qs {
		need["User\x00"+q.user] = true
		need["Asset\x00"+q.asset] = true
	}
	var ents []CedarEntity
	for _, e := range CedarEntities(w.cat) {
		if e.UID.Type == "Group" || need[e.UID.Type+"\x00"+e.UID.ID] {
			ents = append(ents, e)
		}
	}
	raw, err := json.Marshal(ents)
	if err != nil {
		b.Fatal(err)
	}
	var em cedar.EntityMap
	if err := json.Unmarshal(raw, &em); err != nil {
		b.Fatal(err)
	}
	reqs := make([]cedar.Request, len(qs))
	for i, q := range qs {
		reqs[i] = cedarReq(q.user, q.asset, string(q.action))
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		for i, req := range reqs {
			dec, diag := cedar.Authorize(set, em, req)
			if len(diag.Errors) > 0 {
				b.Fatalf("cedar errors: %v", diag.Errors[0])
			}
			if (dec == cedar.Allow) != w.ev.Allowed(qs[i].user, qs[i].asset, qs[i].action) {
				b.Fatalf("cedar and Allowed disagree on %+v", qs[i])
			}
		}
	}
	cpu := cpuTime() - cpu0
	el := b.Elapsed()
	b.StopTimer()
	n := float64(b.N * len(reqs))
	b.ReportMetric(n/el.Seconds(), "decisions/s")
	b.ReportMetric(n/cpu.Seconds(), "decisions/cpu-s")
	b.ReportMetric(float64(el.Microseconds())/1000/n, "ms/decision")
}

func cedarText(ps []Policy) (string, error) {
	sorted := append([]Policy(nil), ps...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	var out []byte
	for _, p := range sorted {
		s, err := CedarPolicy(p)
		if err != nil {
			return "", err
		}
		out = append(out, s...)
	}
	return string(out), nil
}

// BenchmarkAllowedSmall runs the same decision loop on a catalog ten times
// smaller in each dimension (10,000 users, 100,000 assets, 1,000
// policies), whose indexes mostly fit in cache. Set against
// BenchmarkAllowed it separates the algorithm's cost from memory latency.
func BenchmarkAllowedSmall(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 9))
	c, err := genCatalog(r, 10_000, 100_000, 500, 100)
	if err != nil {
		b.Fatal(err)
	}
	ev, err := NewEvaluator(c, genPolicies(r, c, 1_000))
	if err != nil {
		b.Fatal(err)
	}
	qs := make([]benchQuery, 1<<20)
	for i := range qs {
		qs[i] = benchQuery{ev.ix.userIDs[r.IntN(len(ev.ix.userIDs))], ev.ix.assetIDs[r.IntN(len(ev.ix.assetIDs))], Read}
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	allowed := 0
	runtime.GC()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		for _, q := range qs {
			if ev.Allowed(q.user, q.asset, q.action) {
				allowed++
			}
		}
	}
	cpu := cpuTime() - cpu0
	el := b.Elapsed()
	b.StopTimer()
	n := float64(b.N * len(qs))
	b.ReportMetric(n/el.Seconds(), "decisions/s")
	b.ReportMetric(n/cpu.Seconds(), "decisions/cpu-s")
	b.ReportMetric(100*float64(allowed)/n, "%allowed")
}

// BenchmarkMemoryLatency is the machine's cost of one dependent read from
// random places in 128 MiB, about the size of the evaluator's asset
// records. It is the unit Allowed's time is made of: a decision waits for
// the caller's asset id, a pilot and a record one after the other, so read
// BenchmarkAllowed's ns/decision against it, especially on a shared machine.
func BenchmarkMemoryLatency(b *testing.B) {
	const n = 128 << 20 / 4
	r := rand.New(rand.NewPCG(1, 2))
	perm := make([]uint32, n)
	for i := range perm {
		perm[i] = uint32(i)
	}
	r.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	next := make([]uint32, n)
	for i := range n {
		next[perm[i]] = perm[(i+1)%n]
	}
	perm = nil
	const steps = 1 << 22
	b.ResetTimer()
	x := uint32(0)
	start := time.Now()
	for range b.N * steps {
		x = next[x]
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*steps), "ns/read")
	if x == n {
		b.Log(x) // keeps the loop
	}
}
