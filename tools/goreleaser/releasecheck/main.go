// Command releasecheck is the Go half of tools/release.sh: it writes the
// trimmed GoReleaser configuration of the quick release check, and checks
// what a snapshot release left in dist/ against the layout the Terraform and
// OpenTofu registries expect.
//
//	releasecheck trim -config .goreleaser.yml -real REAL -platforms "linux_amd64 ..." -o FILE
//	    writes .goreleaser.yml with every build's target matrix replaced by
//	    the targets of REAL (GoReleaser's effective configuration of
//	    .goreleaser.yml, its dist/config.yaml) for the given platforms;
//	    everything else is left exactly as it is
//
//	releasecheck check -dist dist -real REAL -manifest terraform-registry-manifest.json \
//	    -platforms "darwin_amd64 ..." -built "linux_amd64 ..."|all
//	    checks that REAL resolves to exactly -platforms with the registries'
//	    naming templates, that dist/ holds exactly the zips of the -built
//	    platforms, each with only the versioned binary for its OS and
//	    architecture, and a SHA256SUMS that covers them and the manifest
//
// Platforms are written os_arch, as in the archive names ("linux_arm"); build
// targets are GoReleaser's ("linux_arm_6").
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

const (
	project    = "terraform-provider-oauth2"
	modulePath = "github.com/tfoauth2/terraform-provider-oauth2"

	// The names the registries expect, as GoReleaser templates (spaces
	// inside the braces removed before comparing).
	archiveTemplate  = "{{.ProjectName}}_{{.Version}}_{{.Os}}_{{.Arch}}"
	binaryTemplate   = "{{.ProjectName}}_v{{.Version}}"
	checksumTemplate = "{{.ProjectName}}_{{.Version}}_SHA256SUMS"
	manifestTemplate = "{{.ProjectName}}_{{.Version}}_manifest.json"
)

// matrixKeys are the keys of a GoReleaser build that choose its targets.
var matrixKeys = []string{
	"goos", "goarch", "goamd64", "go386", "goarm", "goarm64", "gomips", "goppc64", "goriscv64", "targets", "ignore",
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "trim":
		err = trimCmd(os.Args[2:])
	case "check":
		err = checkCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "releasecheck %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: releasecheck trim|check [flags] (see tools/release.sh)")
	os.Exit(2)
}

// effective is the part of GoReleaser's effective configuration (the
// dist/config.yaml it writes after applying its defaults) that is checked.
type effective struct {
	ProjectName string `yaml:"project_name"`
	Builds      []struct {
		ID      string   `yaml:"id"`
		Binary  string   `yaml:"binary"`
		Targets []string `yaml:"targets"`
		Ldflags []string `yaml:"ldflags"`
		Flags   []string `yaml:"flags"`
		Env     []string `yaml:"env"`
	} `yaml:"builds"`
	Archives []struct {
		ID           string   `yaml:"id"`
		Formats      []string `yaml:"formats"`
		NameTemplate string   `yaml:"name_template"`
		Files        []struct {
			Source string `yaml:"src"`
		} `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
		ExtraFiles   []struct {
			Glob         string `yaml:"glob"`
			NameTemplate string `yaml:"name_template"`
		} `yaml:"extra_files"`
	} `yaml:"checksum"`
}

func readEffective(path string) (*effective, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var e effective
	if err := yaml.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(e.Builds) != 1 {
		return nil, fmt.Errorf("%s: want exactly one build, found %d", path, len(e.Builds))
	}
	return &e, nil
}

// platform turns a GoReleaser target (linux_arm_6, linux_amd64_v1) into the
// os_arch of the archive name.
func platform(target string) string {
	parts := strings.SplitN(target, "_", 3)
	if len(parts) < 2 {
		return target
	}
	return parts[0] + "_" + parts[1]
}

func normTemplate(s string) string {
	return regexp.MustCompile(`\{\{-?\s*(.*?)\s*-?\}\}`).ReplaceAllString(s, "{{$1}}")
}

func trimCmd(args []string) error {
	fs := flag.NewFlagSet("trim", flag.ExitOnError)
	config := fs.String("config", ".goreleaser.yml", "the real GoReleaser configuration")
	realPath := fs.String("real", "", "GoReleaser's effective configuration of -config (its dist/config.yaml)")
	platforms := fs.String("platforms", "", "space-separated os_arch platforms to keep")
	out := fs.String("o", "", "where to write the trimmed configuration")
	_ = fs.Parse(args)
	if *realPath == "" || *platforms == "" || *out == "" {
		return errors.New("-real, -platforms and -o are required")
	}

	eff, err := readEffective(*realPath)
	if err != nil {
		return err
	}
	var targets []string
	for _, p := range strings.Fields(*platforms) {
		i := slices.IndexFunc(eff.Builds[0].Targets, func(t string) bool { return platform(t) == p })
		if i < 0 {
			return fmt.Errorf("platform %s is not a target of %s (targets: %s)", p, *config, strings.Join(eff.Builds[0].Targets, " "))
		}
		targets = append(targets, eff.Builds[0].Targets[i])
	}

	data, err := os.ReadFile(*config)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", *config, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("%s: not a YAML mapping", *config)
	}
	builds := mapValue(doc.Content[0], "builds")
	if builds == nil || builds.Kind != yaml.SequenceNode || len(builds.Content) == 0 {
		return fmt.Errorf("%s: no builds list", *config)
	}
	for _, b := range builds.Content {
		if b.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: a build is not a mapping", *config)
		}
		var kept []*yaml.Node
		for i := 0; i+1 < len(b.Content); i += 2 {
			if !slices.Contains(matrixKeys, b.Content[i].Value) {
				kept = append(kept, b.Content[i], b.Content[i+1])
			}
		}
		list := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, t := range targets {
			list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: t})
		}
		b.Content = append(kept,
			&yaml.Node{Kind: yaml.ScalarNode, Value: "targets",
				HeadComment: "Trimmed by tools/release.sh for the quick release check."},
			list)
	}

	var buf bytes.Buffer
	buf.WriteString("# Generated by tools/release.sh from " + *config + " with the target matrix\n" +
		"# replaced by " + strings.Join(targets, ", ") + ". Do not edit; do not release with it.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	return os.WriteFile(*out, buf.Bytes(), 0o644)
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// problems collects what is wrong, so that one run reports all of it.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func checkCmd(args []string) error {
	fs := flag.NewFlagSet("check", flag.ExitOnError)
	dist := fs.String("dist", "dist", "GoReleaser's dist directory")
	realPath := fs.String("real", "", "GoReleaser's effective configuration of .goreleaser.yml (default: -dist/config.yaml)")
	manifest := fs.String("manifest", "terraform-registry-manifest.json", "the registry manifest in the repository")
	platformsFlag := fs.String("platforms", "", "space-separated os_arch platforms a release must have")
	builtFlag := fs.String("built", "all", `space-separated os_arch platforms this snapshot built, or "all"`)
	_ = fs.Parse(args)
	if *realPath == "" {
		*realPath = filepath.Join(*dist, "config.yaml")
	}
	platforms := strings.Fields(*platformsFlag)
	if len(platforms) == 0 {
		return errors.New("-platforms is required")
	}
	sort.Strings(platforms)
	built := platforms
	if *builtFlag != "all" {
		built = strings.Fields(*builtFlag)
		sort.Strings(built)
		for _, b := range built {
			if !slices.Contains(platforms, b) {
				return fmt.Errorf("-built platform %s is not in -platforms", b)
			}
		}
	}

	var p problems

	// 1. The real configuration: exactly the expected platforms, with the
	// registries' naming templates, so that the names hold for every
	// platform, including those the quick check does not build.
	eff, err := readEffective(*realPath)
	if err != nil {
		return err
	}
	checkRealConfig(&p, eff, platforms)

	// 2. What this snapshot built.
	var meta struct {
		ProjectName string `json:"project_name"`
		Version     string `json:"version"`
	}
	if err := readJSON(filepath.Join(*dist, "metadata.json"), &meta); err != nil {
		return err
	}
	version := meta.Version
	if meta.ProjectName != project {
		p.add("dist/metadata.json: project_name is %q, want %q", meta.ProjectName, project)
	}
	// The registries take semantic versions only.
	if !regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`).MatchString(version) {
		return fmt.Errorf("dist/metadata.json: version %q is not a semantic version", version)
	}
	run, err := readEffective(filepath.Join(*dist, "config.yaml"))
	if err != nil {
		return err
	}
	var runPlatforms []string
	for _, t := range run.Builds[0].Targets {
		runPlatforms = append(runPlatforms, platform(t))
	}
	sort.Strings(runPlatforms)
	if !slices.Equal(runPlatforms, built) {
		p.add("the snapshot was configured for %v, want %v", runPlatforms, built)
	}

	// 3. The files: one zip per built platform and nothing else, each with
	// exactly the binary; SHA256SUMS over them and the manifest.
	wantZips := map[string]string{} // name -> platform
	for _, pl := range built {
		wantZips[fmt.Sprintf("%s_%s_%s.zip", project, version, pl)] = pl
	}
	entries, err := os.ReadDir(*dist)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".zip") {
			if _, ok := wantZips[e.Name()]; !ok {
				p.add("dist/%s: unexpected archive", e.Name())
			}
		}
	}
	sums := map[string]string{}
	for name, pl := range wantZips {
		sum, err := checkZip(&p, filepath.Join(*dist, name), pl, version)
		if err != nil {
			p.add("dist/%s: %v", name, err)
		}
		sums[name] = sum // "" when unreadable: then only its listing is checked
	}

	manifestName := fmt.Sprintf("%s_%s_manifest.json", project, version)
	sum, err := checkManifest(&p, *manifest, filepath.Join(*dist, manifestName))
	if err != nil {
		p.add("%v", err)
	}
	sums[manifestName] = sum

	sumsName := fmt.Sprintf("%s_%s_SHA256SUMS", project, version)
	checkSums(&p, filepath.Join(*dist, sumsName), sums)

	// The report: every platform's archive name, built or not.
	fmt.Printf("release check, version %s (%d of %d platforms built):\n", version, len(built), len(platforms))
	for _, pl := range platforms {
		name := fmt.Sprintf("%s_%s_%s.zip", project, version, pl)
		if _, ok := wantZips[name]; ok {
			fmt.Printf("  built    %s\n", name)
		} else {
			fmt.Printf("  named    %s (not built in the quick check; RELEASE_CHECK=full builds it)\n", name)
		}
	}
	fmt.Printf("  built    %s\n  built    %s\n", manifestName, sumsName)

	if len(p) > 0 {
		for _, s := range p {
			fmt.Fprintf(os.Stderr, "FAIL: %s\n", s)
		}
		return fmt.Errorf("%d problem(s)", len(p))
	}
	fmt.Println("release check: OK")
	return nil
}

func checkRealConfig(p *problems, eff *effective, platforms []string) {
	if eff.ProjectName != project {
		p.add(".goreleaser.yml: project_name is %q, want %q", eff.ProjectName, project)
	}
	b := eff.Builds[0]
	var got []string
	for _, t := range b.Targets {
		got = append(got, platform(t))
	}
	sort.Strings(got)
	if !slices.Equal(got, platforms) {
		var missing, extra []string
		for _, pl := range platforms {
			if !slices.Contains(got, pl) {
				missing = append(missing, pl)
			}
		}
		for _, pl := range got {
			if !slices.Contains(platforms, pl) {
				extra = append(extra, pl)
			}
		}
		p.add(".goreleaser.yml builds for %v; missing %v, not expected %v (tools/release.sh PLATFORMS lists what a release must have)", got, missing, extra)
	}
	if normTemplate(b.Binary) != binaryTemplate {
		p.add(".goreleaser.yml: builds binary is %q, want %q", b.Binary, binaryTemplate)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		p.add(".goreleaser.yml: builds env lacks CGO_ENABLED=0")
	}
	if !slices.Contains(b.Flags, "-trimpath") {
		p.add(".goreleaser.yml: builds flags lack -trimpath")
	}
	if len(eff.Archives) != 1 {
		p.add(".goreleaser.yml: want exactly one archive, found %d", len(eff.Archives))
	} else {
		a := eff.Archives[0]
		if !slices.Equal(a.Formats, []string{"zip"}) {
			p.add(".goreleaser.yml: archive formats are %v, want [zip]", a.Formats)
		}
		if normTemplate(a.NameTemplate) != archiveTemplate {
			p.add(".goreleaser.yml: archive name_template is %q, want %q", a.NameTemplate, archiveTemplate)
		}
	}
	if normTemplate(eff.Checksum.NameTemplate) != checksumTemplate {
		p.add(".goreleaser.yml: checksum name_template is %q, want %q", eff.Checksum.NameTemplate, checksumTemplate)
	}
	if eff.Checksum.Algorithm != "sha256" {
		p.add(".goreleaser.yml: checksum algorithm is %q, want sha256", eff.Checksum.Algorithm)
	}
	if len(eff.Checksum.ExtraFiles) != 1 ||
		eff.Checksum.ExtraFiles[0].Glob != "terraform-registry-manifest.json" ||
		normTemplate(eff.Checksum.ExtraFiles[0].NameTemplate) != manifestTemplate {
		p.add(".goreleaser.yml: checksum extra_files must be only terraform-registry-manifest.json named %q", manifestTemplate)
	}
}

// checkZip checks one archive and returns its SHA-256.
func checkZip(p *problems, path, pl, version string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	name := filepath.Base(path)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", err
	}
	goos, goarch, _ := strings.Cut(pl, "_")
	want := fmt.Sprintf("%s_v%s", project, version)
	if goos == "windows" {
		want += ".exe"
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if len(zr.File) != 1 || zr.File[0].Name != want {
		p.add("%s: holds %q, want exactly [%s]", name, names, want)
		return sha(data), nil
	}
	f := zr.File[0]
	if goos != "windows" && f.Mode().Perm()&0o111 == 0 {
		p.add("%s: %s is not executable (mode %v)", name, f.Name, f.Mode())
	}
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	bin, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil {
		return "", err
	}
	bi, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		p.add("%s: %s has no Go build information: %v", name, f.Name, err)
		return sha(data), nil
	}
	if bi.Path != modulePath {
		p.add("%s: %s was built from %q, want %q", name, f.Name, bi.Path, modulePath)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	for key, wantValue := range map[string]string{"GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0", "-trimpath": "true"} {
		if settings[key] != wantValue {
			p.add("%s: %s has %s=%q, want %q", name, f.Name, key, settings[key], wantValue)
		}
	}
	// With -trimpath Go does not record -ldflags in the build information, so
	// look for the value itself: a snapshot version (x.y.z-SNAPSHOT-<commit>)
	// appears nowhere else in the binary.
	if !bytes.Contains(bin, []byte(version)) {
		p.add("%s: %s does not contain its version %s (-X main.version)", name, f.Name, version)
	}
	return sha(data), nil
}

// checkManifest checks the manifest shipped in dist/ against the one in the
// repository and returns its SHA-256.
func checkManifest(p *problems, repoPath, distPath string) (string, error) {
	repo, err := os.ReadFile(repoPath)
	if err != nil {
		return "", err
	}
	shipped, err := os.ReadFile(distPath)
	if err != nil {
		return "", err
	}
	if !bytes.Equal(repo, shipped) {
		p.add("%s differs from %s", distPath, repoPath)
	}
	var m struct {
		Version  int `json:"version"`
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	dec := json.NewDecoder(bytes.NewReader(repo))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		p.add("%s: %v", repoPath, err)
	} else if m.Version != 1 || !slices.Equal(m.Metadata.ProtocolVersions, []string{"6.0"}) {
		p.add("%s: want version 1 and protocol_versions [\"6.0\"], found version %d and %q", repoPath, m.Version, m.Metadata.ProtocolVersions)
	}
	return sha(shipped), nil
}

// checkSums checks that the SHA256SUMS file lists exactly want, with the
// right sums, in the "sum  name" format.
func checkSums(p *problems, path string, want map[string]string) {
	data, err := os.ReadFile(path)
	if err != nil {
		p.add("%v", err)
		return
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 {
			p.add("%s: malformed line %q", filepath.Base(path), line)
			continue
		}
		if _, dup := got[name]; dup {
			p.add("%s: %s listed twice", filepath.Base(path), name)
		}
		got[name] = sum
	}
	for name, sum := range want {
		switch g, ok := got[name]; {
		case !ok:
			p.add("%s: does not list %s", filepath.Base(path), name)
		case sum != "" && g != sum:
			p.add("%s: lists %s for %s, its SHA-256 is %s", filepath.Base(path), g, name, sum)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			p.add("%s: lists unexpected %s", filepath.Base(path), name)
		}
	}
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func sha(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}
