// Command goproxy writes a Go module into a GOPROXY directory tree (the layout the go command
// reads through GOPROXY=file:///...), so that `go get` can fetch it from there:
//
//	go run ./scripts/goproxy -dir STAGED_MODULE -version v0.1.0 -out dist/goproxy [-time RFC3339]
//
// It writes, under OUT/<escaped module path>/@v/: VERSION.mod (the module's go.mod),
// VERSION.info ({"Version", "Time"}), VERSION.zip and the list of versions. The zip has the
// layout of golang.org/x/mod/zip: every regular file of the module directory as
// "<module path>@<version>/<relative path>", leaving out directories that hold another
// go.mod (nested modules), vendor directories and version-control directories, as the go
// command does; paths are checked against the same rules (no symbolic links, no case-fold
// collisions, no names the go command refuses) and the size limits.
package main

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
)

// The limits the go command enforces on a module zip (golang.org/x/mod/zip).
const (
	maxZipFile = 500 << 20
	maxGoMod   = 16 << 20
)

func main() {
	dir := flag.String("dir", "", "the module's directory (with its go.mod)")
	version := flag.String("version", "", "the version to publish, such as v0.1.0")
	out := flag.String("out", "", "the GOPROXY directory to write into")
	stamp := flag.String("time", "", "the version's time (RFC 3339; default: now)")
	flag.Parse()
	if *dir == "" || *out == "" || !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(*version) {
		fmt.Fprintln(os.Stderr, "usage: goproxy -dir MODULE_DIR -version vX.Y.Z -out GOPROXY_DIR [-time RFC3339]")
		os.Exit(2)
	}
	t := time.Now().UTC()
	if *stamp != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, *stamp); err != nil {
			fail(err)
		}
	}
	if err := publish(*dir, *version, *out, t.UTC()); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "goproxy:", err)
	os.Exit(1)
}

func publish(dir, version, out string, t time.Time) error {
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	if len(gomod) > maxGoMod {
		return fmt.Errorf("go.mod is larger than %d bytes", maxGoMod)
	}
	modPath := modulePath(gomod)
	if modPath == "" {
		return errors.New("go.mod has no module line")
	}
	if err := checkMajor(modPath, version); err != nil {
		return err
	}
	escaped, err := escapePath(modPath)
	if err != nil {
		return err
	}
	at := filepath.Join(out, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		return err
	}
	files, err := moduleFiles(dir)
	if err != nil {
		return err
	}
	if err := writeZip(filepath.Join(at, version+".zip"), modPath+"@"+version, dir, files); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(at, version+".mod"), gomod, 0o644); err != nil {
		return err
	}
	info, _ := json.Marshal(struct {
		Version string
		Time    string
	}{version, t.Format(time.RFC3339)})
	if err := os.WriteFile(filepath.Join(at, version+".info"), append(info, '\n'), 0o644); err != nil {
		return err
	}
	return addToList(filepath.Join(at, "list"), version)
}

// modulePath is the path on go.mod's module line.
func modulePath(gomod []byte) string {
	m := regexp.MustCompile(`(?m)^module\s+"?([^"\s]+)"?\s*$`).FindSubmatch(gomod)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// checkMajor refuses a version whose major number the module path does not carry: v2 and
// later need a /vN suffix.
func checkMajor(modPath, version string) error {
	major := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 2)[0]
	suffix := regexp.MustCompile(`/v(\d+)$`).FindStringSubmatch(modPath)
	switch {
	case (major == "0" || major == "1") && suffix == nil:
		return nil
	case suffix != nil && suffix[1] == major:
		return nil
	}
	return fmt.Errorf("version %s does not match the module path %s (v2 and later need a /vN suffix)", version, modPath)
}

// escapePath is the module path as the proxy protocol spells it: each upper-case letter as
// '!' and its lower case.
func escapePath(p string) (string, error) {
	var b strings.Builder
	for _, r := range p {
		switch {
		case r == '!' || r >= unicode.MaxASCII:
			return "", fmt.Errorf("module path %q: character %q not allowed", p, r)
		case 'A' <= r && r <= 'Z':
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}

// moduleFiles lists the files of the module in dir (slash-separated, sorted), as the go
// command would put them in its zip.
func moduleFiles(dir string) ([]string, error) {
	var files []string
	folded := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			switch d.Name() {
			case ".bzr", ".git", ".hg", ".svn", "vendor":
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file (a module zip holds only regular files)", rel)
		}
		if err := checkFilePath(rel); err != nil {
			return err
		}
		if other, ok := folded[strings.ToLower(rel)]; ok {
			return fmt.Errorf("%s and %s differ only in case", other, rel)
		}
		folded[strings.ToLower(rel)] = rel
		files = append(files, rel)
		return nil
	})
	sort.Strings(files)
	return files, err
}

// checkFilePath applies the go command's rules for file paths in a module (module.CheckFilePath):
// printable characters of a safe set, no empty, "." or ".." elements, no element ending in a
// dot, no Windows short names or reserved names.
func checkFilePath(p string) error {
	for _, elem := range strings.Split(p, "/") {
		if elem == "" || elem == "." || elem == ".." || strings.HasSuffix(elem, ".") {
			return fmt.Errorf("%s: invalid path element %q", p, elem)
		}
		for _, r := range elem {
			ok := unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("!#$%&()+,-.=@[]^_{}~ ", r)
			if !ok || r >= unicode.MaxASCII && !unicode.IsLetter(r) {
				return fmt.Errorf("%s: character %q not allowed", p, r)
			}
		}
		short := strings.ToLower(strings.SplitN(elem, ".", 2)[0])
		switch short {
		case "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7",
			"com8", "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9":
			return fmt.Errorf("%s: %q is a reserved file name on Windows", p, elem)
		}
		if i := strings.LastIndex(elem, "~"); i >= 0 && i < len(elem)-1 && strings.Trim(elem[i+1:], "0123456789") == "" {
			return fmt.Errorf("%s: %q looks like a Windows short name", p, elem)
		}
	}
	return nil
}

func writeZip(name, prefix, dir string, files []string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	for _, rel := range files {
		if err := addFile(zw, prefix, dir, rel); err != nil {
			f.Close()
			return err
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	st, err := f.Stat()
	if err == nil && st.Size() > maxZipFile {
		err = fmt.Errorf("%s is %d bytes, more than the go command accepts (%d)", name, st.Size(), maxZipFile)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func addFile(zw *zip.Writer, prefix, dir, rel string) error {
	src, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	defer src.Close()
	// No times, modes or extra fields: the go command ignores them, and the zip (and so the
	// go.sum hash of its contents) depends only on the files.
	w, err := zw.CreateHeader(&zip.FileHeader{Name: path.Join(prefix, rel), Method: zip.Deflate})
	if err != nil {
		return err
	}
	_, err = io.Copy(w, src)
	return err
}

// addToList adds version to the proxy's list of versions, once.
func addToList(list, version string) error {
	old, err := os.ReadFile(list)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	seen := map[string]bool{}
	var versions []string
	for _, v := range append(strings.Fields(string(old)), version) {
		if !seen[v] {
			seen[v] = true
			versions = append(versions, v)
		}
	}
	return os.WriteFile(list, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}
