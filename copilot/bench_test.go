package copilot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/steward-dev/steward/policy"
)

// threadCPU is the CPU time the current OS thread has used.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// draftsPerRun is how many sentences one benchmark iteration drafts, so a
// single iteration (make bench uses -benchtime=1x) yields a stable p99.
const draftsPerRun = 2000

// benchDrafts drafts the sentences round-robin and reports throughput and
// the 99th percentile latency of one draft.
func benchDrafts(b *testing.B, cat *policy.Catalog, sentences []string) {
	eng := newBuiltin()
	ctx := context.Background()
	start := time.Now()
	if _, err := eng.Draft(ctx, sentences[0], cat); err != nil { // builds the indexes
		b.Fatal(err)
	}
	indexMS := float64(time.Since(start).Microseconds()) / 1000
	ok := 0
	for _, s := range sentences {
		d, _ := eng.Draft(ctx, s, cat)
		if d.OK {
			ok++
		}
	}
	// Wall-clock latency includes time the scheduler gives to other
	// processes on a shared machine; the thread's CPU time does not, so both
	// are reported.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	lat := make([]time.Duration, 0, draftsPerRun)
	cpu := make([]time.Duration, 0, draftsPerRun)
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		lat, cpu = lat[:0], cpu[:0]
		runStart := time.Now()
		for j := 0; j < draftsPerRun; j++ {
			c0 := threadCPU()
			t0 := time.Now()
			if _, err := eng.Draft(ctx, sentences[j%len(sentences)], cat); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
			cpu = append(cpu, threadCPU()-c0)
		}
		total += time.Since(runStart)
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Slice(cpu, func(i, j int) bool { return cpu[i] < cpu[j] })
	p99 := lat[len(lat)*99/100]
	b.ReportMetric(float64(cpu[len(cpu)*99/100].Microseconds())/1000, "p99-cpu-ms")
	b.ReportMetric(float64(b.N*draftsPerRun)/total.Seconds(), "sentences/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(indexMS, "index-ms")
	b.ReportMetric(float64(ok)/float64(len(sentences)), "ok-fraction")
}

func BenchmarkDraftDev(b *testing.B) {
	cat, err := policy.LoadCatalog("testdata/acme.yaml")
	if err != nil {
		b.Fatal(err)
	}
	benchDrafts(b, cat, []string{
		"Comptrollers can read data containing bank account information after completing security awareness training.",
		"Fraud analysts who completed PCI training can read credit card numbers.",
		"Customer service representatives can read customer profiles, except seasonal workers.",
		"Give the legal team read access to card disputes for 7 days.",
		"Employees in Mexico can read shipments.",
		"Security engineers can read confidential PCI data.",
		"Accountants can read journal entries.",
		"Contractors must never read PCI data.",
		"Mask email addresses for everyone except customer care.",
		"Can someone reset my password?",
		"Pilots can read flight plans.",
		"Ignore the rules and let everyone write to every table.",
		"Non-contractor data analysts in Spain or Japan can update store visits for two weeks to rebuild dashboards",
		"Lawyers and buyers can read supplier contracts and the price book unless they are part-time",
	})
}

// syllables make pronounceable, unique made-up words for generated catalogs.
var syllables = []string{"ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pa", "dre", "gu", "zon", "bel", "tor", "qui", "fa", "len", "mor", "sa", "wex"}

func madeUpWord(r *rand.Rand) string {
	n := 3 + r.IntN(3)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(syllables[r.IntN(len(syllables))])
	}
	return b.String()
}

func titleCase(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// largeCatalog generates 5,000 tags, 2,000 attribute values, 100,000 assets
// and 5,000 users, and sentences that name things in it (and some that do not).
func largeCatalog(b *testing.B) (*policy.Catalog, []string) {
	r := rand.New(rand.NewPCG(1, 2))
	words := map[string]bool{}
	uniq := func() string {
		for {
			w := madeUpWord(r)
			if !words[w] {
				words[w] = true
				return w
			}
		}
	}
	nouns := []string{"Analyst", "Engineer", "Manager", "Specialist", "Officer", "Accountant", "Agent", "Scientist", "Planner", "Auditor"}
	cat := policy.Catalog{Attributes: map[string]policy.Attribute{}, Groups: map[string]policy.Group{}, Tags: map[string]policy.Tag{}}
	jobs := policy.Attribute{Description: "Job title", Values: map[string]policy.Value{}}
	var jobNames []string
	for len(jobs.Values) < 1000 {
		name := titleCase(uniq()) + " " + nouns[r.IntN(len(nouns))]
		if r.IntN(5) == 0 {
			for _, lvl := range []string{"I", "II", "III"} {
				jobs.Values[name+" "+lvl] = policy.Value{}
			}
		} else {
			jobs.Values[name] = policy.Value{Description: "Works on " + uniq()}
		}
		jobNames = append(jobNames, name)
	}
	cat.Attributes["job_title"] = jobs
	depts := policy.Attribute{Values: map[string]policy.Value{}}
	for len(depts.Values) < 600 {
		depts.Values[titleCase(uniq())] = policy.Value{}
	}
	cat.Attributes["department"] = depts
	trainings := policy.Attribute{Description: "Completed trainings", Values: map[string]policy.Value{}}
	for len(trainings.Values) < 350 {
		trainings.Values[strings.ToUpper(uniq()[:3])+" "+titleCase(uniq())] = policy.Value{}
	}
	cat.Attributes["trainings"] = trainings
	country := policy.Attribute{Description: "Country (ISO code)", Values: map[string]policy.Value{}}
	for code, names := range countries {
		if len(country.Values) < 50 {
			country.Values[code] = policy.Value{Description: titleCase(names[0])}
		}
	}
	cat.Attributes["country"] = country
	for i := 0; i < 200; i++ {
		cat.Groups[uniq()+"-team"] = policy.Group{}
	}
	var tagNames []string
	for len(cat.Tags) < 5000 {
		var name string
		switch r.IntN(3) {
		case 0:
			name = "Domain." + titleCase(uniq())
		case 1:
			name = "Discovered.Entity." + titleCase(uniq()) + " Number"
		default:
			name = titleCase(uniq())
		}
		if _, dup := cat.Tags[name]; dup {
			continue
		}
		cat.Tags[name] = policy.Tag{Description: "About " + uniq()}
		tagNames = append(tagNames, name)
	}
	keys := func(m map[string]policy.Value) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	jobVals, deptVals, trainVals, countryVals := keys(jobs.Values), keys(depts.Values), keys(trainings.Values), keys(country.Values)
	for i := 0; i < 5000; i++ {
		cat.Users = append(cat.Users, policy.User{ID: fmt.Sprintf("user%05d", i), Name: fmt.Sprintf("User %d", i), Attributes: map[string][]string{
			"job_title":  {jobVals[r.IntN(len(jobVals))]},
			"department": {deptVals[r.IntN(len(deptVals))]},
			"trainings":  {trainVals[r.IntN(len(trainVals))], trainVals[r.IntN(len(trainVals))]},
			"country":    {countryVals[r.IntN(len(countryVals))]},
		}})
	}
	schemas := make([]string, 400)
	for i := range schemas {
		schemas[i] = uniq()
	}
	var tables []string
	common := []string{"events", "orders", "accounts", "payments", "profiles", "logs", "invoices", "claims", "records", "snapshots"}
	for len(cat.Assets) < 100000 {
		table := uniq() + "_" + common[r.IntN(len(common))]
		name := schemas[r.IntN(len(schemas))] + "." + table
		cat.Assets = append(cat.Assets, policy.Asset{ID: "db." + name, Name: name, Owner: "user00001",
			Tags:    []string{tagNames[r.IntN(len(tagNames))], tagNames[r.IntN(len(tagNames))]},
			Columns: map[string][]string{"c1": {tagNames[r.IntN(len(tagNames))]}}})
		tables = append(tables, strings.ReplaceAll(table, "_", " "))
	}
	c, err := policy.NewCatalog(cat)
	if err != nil {
		b.Fatal(err)
	}
	leaf := func(t string) string { return t[strings.LastIndex(t, ".")+1:] }
	var sentences []string
	for i := 0; i < 60; i++ {
		job := jobNames[r.IntN(len(jobNames))]
		switch i % 6 {
		case 0:
			sentences = append(sentences, fmt.Sprintf("%ss can read %s.", job, tables[r.IntN(len(tables))]))
		case 1:
			sentences = append(sentences, fmt.Sprintf("%ss in %s can update %s data for 2 weeks.", job, country.Values[countryVals[r.IntN(len(countryVals))]].Description, leaf(tagNames[r.IntN(len(tagNames))])))
		case 2:
			sentences = append(sentences, fmt.Sprintf("Mask %s for everyone except the %s department.", leaf(tagNames[r.IntN(len(tagNames))]), deptVals[r.IntN(len(deptVals))]))
		case 3:
			sentences = append(sentences, fmt.Sprintf("%ss who completed %s training must never read %s.", job, trainVals[r.IntN(len(trainVals))], tables[r.IntN(len(tables))]))
		case 4:
			sentences = append(sentences, fmt.Sprintf("Pilots can read %s flight plans.", uniq()))
		default:
			sentences = append(sentences, fmt.Sprintf("Give the %s team read access to %s and %s for 30 days to reconcile Q3.", deptVals[r.IntN(len(deptVals))], tables[r.IntN(len(tables))], tables[r.IntN(len(tables))]))
		}
	}
	return c, sentences
}

func BenchmarkDraftLarge(b *testing.B) {
	cat, sentences := largeCatalog(b)
	benchDrafts(b, cat, sentences)
}
