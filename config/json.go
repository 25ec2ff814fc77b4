package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/hcl/ast"
	"github.com/hashicorp/hcl/hcl/token"
)

// parseJSON reads a JSON config into the same syntax tree HCL gives, keeping
// the line of every key and value (HCL's own JSON parser drops them), so
// that errors in a JSON file name their line too. Nested objects are kept
// as written; the block walk descends through them.
func parseJSON(name string, data []byte) (*ast.ObjectList, error) {
	lines := lineStarts(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	jp := &jsonParser{dec: dec, lines: lines}
	root, err := jp.value()
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("unexpected data after the top-level object")
		}
	}
	if err != nil {
		line := lines.lineOf(dec.InputOffset())
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line = lines.lineOf(se.Offset)
		}
		return nil, &Error{File: name, Line: line, Err: fmt.Errorf("syntax error: %w", err)}
	}
	obj, ok := root.(*ast.ObjectType)
	if !ok {
		return nil, &Error{File: name, Line: 1, Err: errors.New("syntax error: the file must hold one JSON object")}
	}
	return obj.List, nil
}

type jsonParser struct {
	dec   *json.Decoder
	lines lineIndex
}

// pos is the position of the token just read.
func (p *jsonParser) pos() token.Pos {
	return token.Pos{Line: p.lines.lineOf(p.dec.InputOffset())}
}

func (p *jsonParser) value() (ast.Node, error) {
	tok, err := p.dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	pos := p.pos()
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return p.object(pos)
		case '[':
			return p.array(pos)
		}
		return nil, fmt.Errorf("unexpected %q", v)
	case string:
		return &ast.LiteralType{Token: token.Token{Type: token.STRING, Text: strconv.Quote(v), JSON: true, Pos: pos}}, nil
	case json.Number:
		typ := token.NUMBER
		if strings.ContainsAny(v.String(), ".eE") {
			typ = token.FLOAT
		}
		return &ast.LiteralType{Token: token.Token{Type: typ, Text: v.String(), JSON: true, Pos: pos}}, nil
	case bool:
		return &ast.LiteralType{Token: token.Token{Type: token.BOOL, Text: strconv.FormatBool(v), Pos: pos}}, nil
	case nil:
		// null reads as an empty string, as in HCL's JSON mode.
		return &ast.LiteralType{Token: token.Token{Type: token.STRING, Text: "", JSON: true, Pos: pos}}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func (p *jsonParser) object(start token.Pos) (*ast.ObjectType, error) {
	obj := &ast.ObjectType{Lbrace: start, List: &ast.ObjectList{}}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("want an object key, got %v", tok)
		}
		keyTok := token.Token{Type: token.STRING, Text: strconv.Quote(key), JSON: true, Pos: p.pos()}
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		obj.List.Add(&ast.ObjectItem{Keys: []*ast.ObjectKey{{Token: keyTok}}, Val: val})
	}
	if _, err := p.dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	return obj, nil
}

func (p *jsonParser) array(start token.Pos) (*ast.ListType, error) {
	list := &ast.ListType{Lbrack: start}
	for p.dec.More() {
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		list.Add(val)
	}
	if _, err := p.dec.Token(); err != nil { // the closing ']'
		return nil, err
	}
	return list, nil
}

// lineIndex holds the offset at which each line starts.
type lineIndex []int64

func lineStarts(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, b := range data {
		if b == '\n' {
			idx = append(idx, int64(i+1))
		}
	}
	return idx
}

// lineOf gives the 1-based line holding the byte just before offset (the
// decoder's offset points past the token it read).
func (idx lineIndex) lineOf(offset int64) int {
	if offset > 0 {
		offset--
	}
	return sort.Search(len(idx), func(i int) bool { return idx[i] > offset })
}
