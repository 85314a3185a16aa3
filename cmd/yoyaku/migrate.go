package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/jmoiron/sqlx"

	"yoyaku/config"
	"yoyaku/internal/seed"
	"yoyaku/migrations"
	"yoyaku/store"
)

func runMigrate(ctx context.Context, cfg config.Config, log *slog.Logger, _ []string) error {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate(ctx, db, log)
}

func migrate(ctx context.Context, db *sqlx.DB, log *slog.Logger) error {
	applied, err := migrations.Up(ctx, db.DB)
	if err != nil {
		return err
	}
	log.Info("migrations applied", "count", len(applied), "files", applied)
	return nil
}

func runSeed(ctx context.Context, cfg config.Config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	titles := fs.Int("titles", 0, "grow the catalogue to at least this many titles (bulk-loaded), e.g. 200000")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *titles < 0 {
		return fmt.Errorf("seed: --titles must not be negative")
	}
	if *titles > 0 && !cfg.Demo {
		return fmt.Errorf("seed: --titles grows the catalogue with synthetic demo titles: set YOYAKU_DEMO=1 (demo and benchmark databases only)")
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrate(ctx, db, log); err != nil {
		return err
	}
	if !cfg.Demo {
		// A production install: the library's own branches, and no demo account with a published password.
		n, err := seed.Branches(ctx, db)
		if err != nil {
			return err
		}
		log.Info("library branches loaded; no demo data (YOYAKU_DEMO=1 loads the demo catalogue and accounts)",
			"branches", n)
		log.Info("create staff accounts with `yoyaku staff add LOGIN --branch CODE`")
		return nil
	}
	return loadSeed(ctx, db, log, *titles)
}

// loadSeed loads the demo data (`yoyaku seed` with YOYAKU_DEMO=1, and every stack startStack runs).
func loadSeed(ctx context.Context, db *sqlx.DB, log *slog.Logger, titles int) error {
	sum, err := seed.Demo(ctx, db)
	if err != nil {
		return err
	}
	log.Info("demo data loaded", "branches", sum.Branches, "titles", sum.Titles, "items", sum.Items,
		"patrons", sum.Patrons, "staff", sum.Staff)
	if titles > 0 {
		added, err := seed.Bulk(ctx, db, titles)
		if err != nil {
			return err
		}
		log.Info("catalogue grown", "added", added, "target", titles)
	}
	return nil
}
