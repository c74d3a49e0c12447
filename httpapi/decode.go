package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/crudbench/crudbench"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decodeBody reads a JSON body into v: the content type must be JSON in
// UTF-8, the body not encoded (no Content-Encoding), within the size limit, valid UTF-8, one JSON value with no unknown
// fields and nothing after it.
func decodeBody(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return crudbench.Errorf(codeUnsupported, "Content-Type %q is not supported; send application/json.", crudbench.Echo(ct))
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return crudbench.Errorf(codeUnsupported, "Charset %q is not supported; send UTF-8.", crudbench.Echo(cs))
		}
	} else {
		return crudbench.Errorf(codeUnsupported, "Content-Type is missing; send application/json.")
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" {
		return crudbench.Errorf(codeUnsupported, "Content-Encoding %q is not supported; send the body unencoded.", crudbench.Echo(ce))
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if _, err := buf.ReadFrom(r.Body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return crudbench.Errorf(codeTooLarge, "The body is larger than %d bytes.", mbe.Limit)
		}
		return readError(err)
	}
	return decodeJSON(buf.Bytes(), v)
}

// readError is what a failed read of the body answers, without the
// error's own text (it names addresses and ports): 408 when the body did
// not arrive within the server's read timeout, else 499, the client's
// connection having ended before its body did.
func readError(err error) error {
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return crudbench.Errorf(codeReadTimeout, "The body did not arrive in time; send it whole within the request deadline.")
	}
	return crudbench.Errorf(crudbench.ECANCELED, crudbench.CanceledMessage)
}

// decodeJSON decodes data, a complete request body, into v with the rules
// of the API: valid UTF-8, exactly one JSON value, no unknown fields. Its
// errors are *crudbench.Error values with messages a person can act on.
func decodeJSON(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return crudbench.Errorf(crudbench.EINVALID, "The body is empty; send a JSON value.")
	}
	if !utf8.Valid(data) {
		return crudbench.Errorf(crudbench.EINVALID, "The body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, v)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		// Report where the extra data starts, not where the decoder stopped.
		rest := data[end:]
		end += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n")))
		return crudbench.Errorf(crudbench.EINVALID, "The body has data after its JSON value at offset %d.", end)
	}
	return nil
}

// jsonError turns a decoding error into a message; v is the target.
func jsonError(err error, v any) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return crudbench.Errorf(crudbench.EINVALID, "The body is not valid JSON at offset %d: %s.", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			what := "The body"
			if t := reflect.TypeOf(v); t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Slice && typ.Type != t.Elem() {
				what = "Each item"
			}
			return crudbench.Errorf(crudbench.EINVALID, "%s must be %s, not %s.", what, jsonKind(typ.Type.Kind().String()), crudbench.Echo(typ.Value))
		}
		return crudbench.Errorf(crudbench.EINVALID, "Field %q must be %s, not %s.", typ.Field, jsonKind(typ.Type.Kind().String()), crudbench.Echo(typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return crudbench.Errorf(crudbench.EINVALID, "The body ends in the middle of its JSON value.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if u, err := strconv.Unquote(name); err == nil {
			name = u
		}
		return crudbench.Errorf(crudbench.EINVALID, "Unknown field %q.", crudbench.Echo(name))
	}
	return crudbench.Errorf(crudbench.EINVALID, "The body is not valid: %v.", err)
}

func jsonKind(k string) string {
	switch k {
	case "int", "int32", "int64":
		return "an integer"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct":
		return "an object"
	case "ptr":
		return "a value"
	}
	return k
}

// parseID parses a path or query id: a positive decimal int64.
func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, crudbench.Errorf(crudbench.EINVALID, "Invalid id %q: ids are positive integers up to %d.", crudbench.Echo(s), int64(1<<63-1))
	}
	return id, nil
}

// parseIDs parses the ids query parameter of bulk calls: a comma-separated
// list of 1 to crudbench.MaxBatch distinct ids.
func parseIDs(s string) ([]int64, error) {
	if s == "" {
		return nil, crudbench.Errorf(crudbench.EINVALID, "Give ids as ?ids=1,2,3.")
	}
	if n := strings.Count(s, ",") + 1; n > crudbench.MaxBatch {
		return nil, crudbench.Errorf(crudbench.EINVALID, "Too many ids: %d given, at most %d allowed.", n, crudbench.MaxBatch)
	}
	ids := make([]int64, 0, strings.Count(s, ",")+1)
	for part := range strings.SplitSeq(s, ",") {
		id, err := parseID(part)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := crudbench.ValidateIDs(ids); err != nil {
		return nil, err
	}
	return ids, nil
}

// truncate shortens s to at most n bytes plus an ellipsis (see
// crudbench.Truncate).
func truncate(s string, n int) string { return crudbench.Truncate(s, n) }
