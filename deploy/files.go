package deploy

import "embed"

// Files are the configuration files the production topology shares: docker-compose.yml mounts them from
// this directory and `yoyaku dev --cluster` writes these same bytes (embedded in the binary) into its state
// directory, so what a test of the cluster mode runs is what compose users get.
//
//go:embed temporal/server.yaml temporal/dynamicconfig.yaml temporal/schema.sh temporal/setup.sh
//go:embed temporal/postgres-init.sql temporal/ui.yaml nginx/yoyaku.conf.template
var Files embed.FS

// The shared files by role, as paths in Files and below deploy/.
const (
	TemporalConfig        = "temporal/server.yaml"
	TemporalDynamicConfig = "temporal/dynamicconfig.yaml"
	TemporalSchemaScript  = "temporal/schema.sh"
	TemporalSetupScript   = "temporal/setup.sh"
	TemporalPostgresInit  = "temporal/postgres-init.sql"
	TemporalUIConfig      = "temporal/ui.yaml"
	NginxTemplate         = "nginx/yoyaku.conf.template"
)
