package copilot

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"testing"
	"encoding/json"

	"github.com/steward-dev/steward/policy"
)

func TestDbgDraft(t *testing.T) {
	pairs := [][2]string{{"testdata/hospital.yaml", "/tmp/cop_h.txt"}, {"testdata/bank.yaml", "/tmp/cop_b.txt"}, {"testdata/saas.yaml", "/tmp/cop_x.txt"}, {"testdata/university.yaml", "/tmp/cop_u.txt"}, {"testdata/acme.yaml", "/tmp/cop_d2.txt"}}
	for _, p := range pairs {
		cat, err := policy.LoadCatalog(p[0])
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p[1])
		if err != nil {
			t.Skip()
		}
		e := NewBuiltin()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			d, _ := e.Draft(context.Background(), sc.Text(), cat)
			fmt.Println(sc.Text())
			if !d.OK {
				fmt.Println("   REFUSED:", d.Error)
				continue
			}
			s, _ := json.Marshal(d.Policy.Subjects)
			o, _ := json.Marshal(d.Policy.Objects)
			fmt.Printf("   %s %s %s %s dur=%v\n   users=%v assets=%v\n", d.Policy.Effect, d.Policy.Action, s, o, d.Policy.Duration, d.Impact.Users, d.Impact.Assets)
		}
	}
}
