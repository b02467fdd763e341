package repoll_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"repoll"
	"repoll/internal/apigen"
)

// apiJSON finds include/repoll.json as the binding's users do: the build
// tree beside this directory, else pkg-config's apidir (an installed
// library). The binding cannot be generated without it, so missing is a
// failure, not a skip.
func apiJSON(t *testing.T) []byte {
	t.Helper()
	tried := []string{"../../include/repoll.json"}
	if out, err := exec.Command("pkg-config", "--variable=apidir", "repoll").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); dir != "" {
			tried = append(tried, filepath.Join(dir, "repoll.json"))
		}
	}
	for _, path := range tried {
		if text, err := os.ReadFile(path); err == nil {
			return text
		}
	}
	t.Fatalf("no repoll.json; tried %s", strings.Join(tried, ", "))
	return nil
}

func TestZapiIsWhatTheGeneratorMakesOfRepollJSON(t *testing.T) {
	want, err := apigen.Generate(apiJSON(t), "repoll", "include/repoll.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("zapi.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("zapi.go is stale: run `go generate` in bindings/go and commit the result")
	}
}

// without returns the JSON with the named constant or type removed.
func without(t *testing.T, text []byte, list, name string) []byte {
	t.Helper()
	var doc map[string]interface{}
	if err := json.Unmarshal(text, &doc); err != nil {
		t.Fatal(err)
	}
	items := doc[list].([]interface{})
	kept := items[:0]
	for _, it := range items {
		if it.(map[string]interface{})["name"] != name {
			kept = append(kept, it)
		}
	}
	if len(kept) == len(items) {
		t.Fatalf("the JSON has no %s %s to remove", list, name)
	}
	doc[list] = kept
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGeneratorFailsWhenTheJSONLacksWhatTheBindingNeeds(t *testing.T) {
	text := apiJSON(t)
	for _, name := range apigen.Required {
		if _, err := apigen.Generate(without(t, text, "constants", name), "repoll", "x"); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("without constant %s: got %v, want an error naming it", name, err)
		}
	}
	for cname := range apigen.Records {
		if _, err := apigen.Generate(without(t, text, "types", cname), "repoll", "x"); err == nil || !strings.Contains(err.Error(), cname) {
			t.Errorf("without type %s: got %v, want an error naming it", cname, err)
		}
	}
}

func TestVersionIsTheHeadersMajor(t *testing.T) {
	v := repoll.Version()
	if !strings.HasPrefix(v, fmt.Sprintf("%d.", repoll.VERSION_MAJOR)) || strings.Count(v, ".") != 2 {
		t.Fatalf("Version() = %q, header major %d", v, repoll.VERSION_MAJOR)
	}
	if repoll.Features()&^(repoll.FEATURE_PWAIT2|repoll.FEATURE_EXCLUSIVE) != 0 {
		t.Logf("features %#x has bits this binding does not name", repoll.Features())
	}
}

func TestStrerrorIsTheLibrarys(t *testing.T) {
	if s := repoll.Strerror(-int(syscall.EEXIST)); !strings.Contains(strings.ToLower(s), "exists") {
		t.Fatalf("Strerror(-EEXIST) = %q", s)
	}
	if s := repoll.Strerror(-repoll.EPANIC); s == "" || strings.Contains(s, "Unknown") {
		t.Fatalf("Strerror(-EPANIC) = %q", s)
	}
}

// The process must run the library REPOLL_LIBRARY names (test.sh links it
// through a throwaway repoll.pc), not some installed copy. Compared as files
// (device and inode): cargo hardlinks target/debug/deps/librepoll.so.
func TestTheLinkedLibraryIsREPOLL_LIBRARY(t *testing.T) {
	path := os.Getenv("REPOLL_LIBRARY")
	if path == "" {
		t.Skip("REPOLL_LIBRARY is not set (test.sh sets it)")
	}
	want, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(maps), "\n") {
		if i := strings.Index(line, "/"); i >= 0 && strings.Contains(line, "librepoll") {
			if got, err := os.Stat(line[i:]); err != nil || !os.SameFile(got, want) {
				t.Fatalf("loaded %s, want %s", line[i:], path)
			}
			return
		}
	}
	t.Fatalf("no librepoll mapped; want %s", path)
}

// The README's example is the package's Example, whose output go test checks.
func TestTheReadmeExampleIsTheTestedExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	body := string(src)
	start, end := strings.Index(body, "func Example() {\n"), strings.Index(body, "\t// Output:")
	if start < 0 || end < start {
		t.Fatal("example_test.go has no Example with an Output")
	}
	body = body[start:end]
	if !strings.Contains(string(readme), strings.Replace(body, "func Example() {", "func main() {", 1)) {
		t.Fatal("README.md's example differs from Example in example_test.go")
	}
}
