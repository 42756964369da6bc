package firestoreemu

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, host string) (string, error) {
	t.Helper()
	resp, err := http.Get("http://" + host + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestSharedAnswersAndIsShared(t *testing.T) {
	a := Shared(t)
	b := Shared(t)
	require.Same(t, a, b, "one emulator per test binary")
	body, err := get(t, a.Host)
	require.NoError(t, err)
	assert.Equal(t, "Ok\n", body)
	assert.NotEqual(t, a.Project(t), a.Project(t), "every project id is distinct")
}

func TestStopRestartSamePort(t *testing.T) {
	e := Start(t)
	host := e.Host
	_, err := get(t, host)
	require.NoError(t, err)

	e.Stop()
	_, err = get(t, host)
	require.Error(t, err, "a stopped emulator must not answer")

	e.Restart()
	require.Equal(t, host, e.Host)
	body, err := get(t, host)
	require.NoError(t, err)
	assert.Equal(t, "Ok\n", body)
}
