package audit

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"slices"
)

// JSONx is IBM DataPower's XML rendering of JSON, which Vault offers as
// format=jsonx. Like Vault, an entry is written as the members of the
// top-level object, sorted by name, without the enclosing json:object
// element or an XML declaration; the json: prefix refers to
// http://www.ibm.com/xmlns/prod/2009/jsonx. Unlike Vault, string values are
// XML-escaped, so an entry holding "<" or "&" stays well-formed.

// JSONXNamespace is the namespace of the json: element prefix.
const JSONXNamespace = "http://www.ibm.com/xmlns/prod/2009/jsonx"

// writeJSONX renders the JSON object raw as JSONx into buf.
func writeJSONX(buf *bytes.Buffer, raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("top level is %T, not an object", v)
	}
	return jsonxMembers(buf, obj)
}

func jsonxMembers(buf *bytes.Buffer, obj map[string]any) error {
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if err := jsonxValue(buf, k, true, obj[k]); err != nil {
			return err
		}
	}
	return nil
}

// jsonxValue writes one value; named is false inside arrays.
func jsonxValue(buf *bytes.Buffer, name string, named bool, v any) error {
	attr := func() {
		if named {
			buf.WriteString(` name="`)
			_ = xml.EscapeText(buf, []byte(name)) // writes to a buffer cannot fail
			buf.WriteByte('"')
		}
	}
	switch t := v.(type) {
	case nil:
		buf.WriteString("<json:null")
		attr()
		buf.WriteString(" />")
	case bool:
		buf.WriteString("<json:boolean")
		attr()
		fmt.Fprintf(buf, ">%t</json:boolean>", t)
	case json.Number:
		buf.WriteString("<json:number")
		attr()
		buf.WriteByte('>')
		buf.WriteString(t.String())
		buf.WriteString("</json:number>")
	case string:
		buf.WriteString("<json:string")
		attr()
		buf.WriteByte('>')
		_ = xml.EscapeText(buf, []byte(t))
		buf.WriteString("</json:string>")
	case []any:
		buf.WriteString("<json:array")
		attr()
		buf.WriteByte('>')
		for _, e := range t {
			if err := jsonxValue(buf, "", false, e); err != nil {
				return err
			}
		}
		buf.WriteString("</json:array>")
	case map[string]any:
		buf.WriteString("<json:object")
		attr()
		buf.WriteByte('>')
		if err := jsonxMembers(buf, t); err != nil {
			return err
		}
		buf.WriteString("</json:object>")
	default:
		return fmt.Errorf("unexpected JSON value %T", v)
	}
	return nil
}
