package geminifake

import "testing"

// FuzzRequestBody: whatever a client sends, the fake answers with a
// decision (valid, or a field and message) and never panics.
func FuzzRequestBody(f *testing.F) {
	f.Add(`{"contents":[{"parts":[{"text":"hello"}],"role":"user"}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"properties":{"a":{"enum":["x","y"],"type":"STRING"}},"required":["a"],"type":"OBJECT"},"temperature":0}}`)
	f.Add(`{"contents":[]}`)
	f.Add(`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"ARRAY","items":{"type":"OBJECT","properties":{"b":{"type":"ARRAY","items":{"type":"STRING","enum":["a","a"]}}}}}}}`)
	f.Add(`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"candidateCount":"3","maxOutputTokens":12}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var req GenerateContentRequest
		if err := decodeStrict([]byte(body), &req); err != nil {
			return
		}
		field, msg := validate(req)
		if field != "" && msg == "" {
			t.Fatalf("a field %q without a message", field)
		}
		if req.GenerationConfig != nil && req.GenerationConfig.ResponseSchema != nil {
			req.GenerationConfig.ResponseSchema.Enums()
		}
	})
}
