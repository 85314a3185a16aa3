// Package deploy holds the configuration of yoyaku's production topology that docker-compose.yml mounts
// into third-party containers and `yoyaku dev --cluster` uses on this machine (Files): the Temporal server's
// configuration and dynamic config, its schema and namespace/search-attribute scripts, the PostgreSQL init
// script and the nginx template; and the test that checks docker-compose.yml and the Dockerfile against
// config.Vars, the workflows' search attributes and these files.
package deploy
