package bot

import (
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The manifest must ask for exactly what the bot uses, so installing it is one paste.
func TestManifestMatchesTheBot(t *testing.T) {
	data, err := os.ReadFile("../infra/slack/manifest.yaml")
	require.NoError(t, err)
	var m struct {
		Features struct {
			AppHome struct {
				HomeTab bool `yaml:"home_tab_enabled"`
			} `yaml:"app_home"`
			SlashCommands []struct {
				Command string `yaml:"command"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	require.NoError(t, yaml.Unmarshal(data, &m))
	scopes := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot))
	assert.Equal(t, slices.Sorted(slices.Values(BotScopes())), scopes)
	var cmds []string
	for _, c := range m.Features.SlashCommands {
		cmds = append(cmds, c.Command)
	}
	assert.ElementsMatch(t, []string{"/policy", "/access"}, cmds)
	assert.ElementsMatch(t, []string{"app_mention", "app_home_opened"}, m.Settings.Events.Bot)
	assert.True(t, m.Settings.Interactivity.Enabled)
	assert.True(t, m.Settings.SocketMode)
	assert.True(t, m.Features.AppHome.HomeTab)
}
