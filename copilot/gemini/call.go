package gemini

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"regexp"
	"strings"
	"time"

	"google.golang.org/genai"
)

// CallError is a generateContent call that failed for good: the service
// refused it, kept failing after the retries, or timed out. Its text never
// contains the API key.
type CallError struct {
	Model    string
	Attempts int
	// Code is the HTTP status of the last answer, 0 when none arrived.
	Code int
	// Status is the google.rpc code name of the last answer ("UNAVAILABLE").
	Status string
	// Message is the service's message (or the transport's), key removed.
	Message string
	// Timeout is the per-attempt limit when the last attempt ran out of
	// time, 0 otherwise.
	Timeout   time.Duration
	transport bool
	hint      string
	cause     error // only context errors, which carry no secrets
}

func (e *CallError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "gemini: generateContent with model %s ", e.Model)
	switch {
	case e.Timeout > 0:
		fmt.Fprintf(&b, "timed out after %s", e.Timeout)
	case e.Code != 0:
		fmt.Fprintf(&b, "failed: HTTP %d %s: %s", e.Code, e.Status, e.Message)
	default:
		fmt.Fprintf(&b, "failed: %s", e.Message)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (%d attempts)", e.Attempts)
	}
	if e.hint != "" {
		b.WriteString("; " + e.hint)
	}
	return b.String()
}

// Unwrap exposes context.Canceled / context.DeadlineExceeded for errors.Is.
func (e *CallError) Unwrap() error { return e.cause }

// Retryable reports whether the failure is of a kind worth trying again
// later (overload, quota, timeout, network), as opposed to a bad request or
// bad credentials.
func (e *CallError) Retryable() bool {
	return e.Timeout > 0 || e.transport || retryableCode(e.Code)
}

func retryableCode(code int) bool {
	switch code {
	case 408, 429, 500, 502, 503, 504:
		return true
	}
	return false
}

// keyLike matches Google API keys, so that one that reaches a message by
// some path other than the configured key (an echo from a proxy, an old key)
// is removed too.
var keyLike = regexp.MustCompile(`AIza[0-9A-Za-z_\-]{10,}`)

// redact removes the API key from text that came from the client library or
// the service, both of which may echo configuration.
func (e *Engine) redact(s string) string {
	if e.cfg.APIKey != "" {
		s = strings.ReplaceAll(s, e.cfg.APIKey, "[redacted]")
	}
	return keyLike.ReplaceAllString(s, "[redacted]")
}

// generate makes one generateContent call, retrying transient failures.
// Each attempt gets its own Timeout; ctx bounds the whole.
func (e *Engine) generate(ctx context.Context, contents []*genai.Content, gc *genai.GenerateContentConfig) (*genai.GenerateContentResponse, error) {
	attempts := e.cfg.Retries + 1
	for attempt := 1; ; attempt++ {
		start := time.Now()
		actx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
		resp, err := e.client.Models.GenerateContent(actx, e.cfg.Model, contents, gc)
		timedOut := err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded)
		cancel()
		if err == nil {
			e.log.Debug("gemini call", "model", e.cfg.Model, "attempt", attempt, "elapsed", time.Since(start))
			return resp, nil
		}
		cerr := e.classify(err, timedOut, attempt)
		if ctx.Err() != nil {
			cerr.cause = ctx.Err()
			cerr.Message = "stopped before Gemini answered: " + ctx.Err().Error()
			return nil, cerr
		}
		if !cerr.Retryable() || attempt >= attempts {
			e.log.Warn("gemini call failed", "model", e.cfg.Model, "attempt", attempt, "code", cerr.Code, "status", cerr.Status, "timeout", timedOut, "error", cerr.Message)
			return nil, cerr
		}
		delay := e.backoff(attempt, err)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < delay {
			cerr.hint = joinHint(cerr.hint, fmt.Sprintf("not retried: the next attempt would start after the caller's deadline (retry in %s)", delay.Round(time.Millisecond)))
			e.log.Warn("gemini call failed", "model", e.cfg.Model, "attempt", attempt, "code", cerr.Code, "status", cerr.Status, "timeout", timedOut, "error", cerr.Message)
			return nil, cerr
		}
		e.log.Warn("gemini call failed, retrying", "model", e.cfg.Model, "attempt", attempt, "of", attempts, "code", cerr.Code, "status", cerr.Status, "timeout", timedOut, "retry_in", delay, "error", cerr.Message)
		select {
		case <-ctx.Done():
			cerr.cause = ctx.Err()
			cerr.Message = "stopped while waiting to retry: " + ctx.Err().Error()
			return nil, cerr
		case <-time.After(delay):
		}
	}
}

func joinHint(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// classify turns a client error into a CallError without keeping the
// original error, whose text may include the client configuration.
func (e *Engine) classify(err error, timedOut bool, attempt int) *CallError {
	ce := &CallError{Model: e.cfg.Model, Attempts: attempt}
	var apiErr genai.APIError
	var apiErrPtr *genai.APIError
	switch {
	case timedOut:
		ce.Timeout = e.cfg.Timeout
		ce.cause = context.DeadlineExceeded
		ce.hint = "the model did not answer in time; raise " + EnvTimeout + " if this keeps happening"
	case errors.As(err, &apiErr):
		ce.Code, ce.Status, ce.Message = apiErr.Code, apiErr.Status, oneLine(e.redact(apiErr.Message), 600)
	case errors.As(err, &apiErrPtr) && apiErrPtr != nil:
		ce.Code, ce.Status, ce.Message = apiErrPtr.Code, apiErrPtr.Status, oneLine(e.redact(apiErrPtr.Message), 600)
	default:
		ce.Message = oneLine(e.redact(err.Error()), 600)
		var netErr net.Error
		// Transport failures are worth repeating; anything else (an answer
		// that would not decode) would fail the same way again.
		ce.transport = errors.As(err, &netErr) || strings.Contains(err.Error(), "error sending request")
	}
	switch {
	case ce.Code == 400 && strings.Contains(strings.ToLower(ce.Message), "api key"),
		ce.Code == 401, ce.Code == 403:
		ce.hint = "check " + EnvAPIKey + " (or the Vertex AI credentials)"
	case ce.Code == 404:
		ce.hint = "check " + EnvModel + " and " + EnvBaseURL
	case ce.Code == 429:
		ce.hint = "quota or rate limit reached; try again later"
	}
	return ce
}

// backoff is the wait before attempt+1: exponential with full jitter, or the
// delay the service asked for in a RetryInfo detail, capped.
func (e *Engine) backoff(attempt int, err error) time.Duration {
	var apiErr genai.APIError
	if errors.As(err, &apiErr) {
		for _, d := range apiErr.Details {
			if t, _ := d["@type"].(string); t != "type.googleapis.com/google.rpc.RetryInfo" {
				continue
			}
			if s, _ := d["retryDelay"].(string); s != "" {
				if v, perr := time.ParseDuration(s); perr == nil && v > 0 {
					return min(v, MaxRetryDelay)
				}
			}
		}
	}
	base := e.cfg.Backoff << (attempt - 1)
	if base <= 0 || base > MaxRetryDelay {
		base = MaxRetryDelay
	}
	// Half fixed, half random: never zero, never in lockstep with other replicas.
	return base/2 + rand.N(base/2+1)
}
