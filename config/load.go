package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// maxFileSize bounds one config file; a real one is a few kilobytes.
const maxFileSize = 4 << 20

// LoadFiles reads the config files and directories in paths (the -config
// flags, in order), merges them as Merge does and checks the result with
// Validate. A directory contributes its *.hcl and *.json files in name
// order, skipping sub-directories, hidden files (so a Kubernetes ConfigMap
// mount's ..data entries are not read twice) and editor backups.
func LoadFiles(paths []string) (*Config, error) {
	cfg, err := ReadFiles(paths)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// ReadFiles is LoadFiles without the final Validate, for a caller that
// merges the result with more configuration first (dev mode with -config).
func ReadFiles(paths []string) (*Config, error) {
	if len(paths) == 0 {
		return nil, errors.New("no config file given")
	}
	var files []string
	for _, p := range paths {
		found, err := expandPath(p)
		if err != nil {
			return nil, err
		}
		files = append(files, found...)
	}
	var merged *Config
	for _, name := range files {
		cfg, err := readFile(name)
		if err != nil {
			return nil, err
		}
		if merged == nil {
			merged = cfg
		} else {
			merged = merged.Merge(cfg)
		}
	}
	return merged, nil
}

// expandPath turns one -config value into the files to read.
func expandPath(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if !isConfigFileName(name) {
			continue
		}
		full := filepath.Join(path, name)
		// Stat, not the entry type: ConfigMap files are symlinks.
		if st, err := os.Stat(full); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		} else if st.IsDir() {
			continue
		}
		files = append(files, full)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("config: no .hcl or .json files in directory %s", path)
	}
	slices.Sort(files)
	return files, nil
}

func isConfigFileName(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "#") || strings.HasSuffix(name, "~") {
		return false
	}
	return strings.HasSuffix(name, ".hcl") || strings.HasSuffix(name, ".json")
}

func readFile(name string) (*Config, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: reading %s: %w", name, err)
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: name, Err: fmt.Errorf("file is larger than %d bytes", maxFileSize)}
	}
	return Parse(name, data)
}
