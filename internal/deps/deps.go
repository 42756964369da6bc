//go:build tools

// Package deps pins the chosen dependencies while the packages that use them are written.
package deps

import (
	_ "cloud.google.com/go/firestore"
	_ "github.com/cedar-policy/cedar-go"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/slack-go/slack"
	_ "github.com/slack-go/slack/socketmode"
	_ "github.com/stretchr/testify/require"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/oauth2"
	_ "google.golang.org/genai"
	_ "modernc.org/sqlite"
)
