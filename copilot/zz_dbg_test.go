package copilot

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

func TestDbgDecompose(t *testing.T) {
	f, err := os.Open("/tmp/cop_s.txt")
	if err != nil {
		t.Skip()
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		d, err := Decompose(sc.Text())
		b, _ := json.Marshal(d)
		fmt.Printf("%s\n   %s err=%v\n", sc.Text(), b, err)
	}
}
