package pgstore

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// migrationLockKey is the PostgreSQL advisory lock taken while migrating,
// so replicas starting together do not race on CREATE TABLE. Any constant
// works as long as no other code in the database uses it.
const migrationLockKey = 0x5a9a_0001

// migrate creates or updates the tables, indexes and, per dialect, the
// guards of the append-only history. It is idempotent.
func migrate(ctx context.Context, db *gorm.DB) error {
	d := dialectOf(db)
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := d.lock(tx); err != nil {
			return err
		}
		if err := tx.AutoMigrate(&Citizen{}, &Case{}, &CaseEvent{}, &TicketCounter{}, &SurveyResponse{}, &SurveyAnswer{}, &Attachment{}); err != nil {
			return fmt.Errorf("create tables: %w", err)
		}
		if err := tx.AutoMigrate(privacyModels()...); err != nil {
			return fmt.Errorf("create privacy tables: %w", err)
		}
		if err := tx.AutoMigrate(&KeyCheck{}); err != nil {
			return fmt.Errorf("create key checks: %w", err)
		}
		if err := tx.AutoMigrate(letterModels()...); err != nil {
			return fmt.Errorf("create letter tables: %w", err)
		}
		if err := migrateVisits(tx); err != nil {
			return err
		}
		if err := migrateHandovers(tx); err != nil {
			return err
		}
		if err := tx.AutoMigrate(consultationModels()...); err != nil {
			return fmt.Errorf("create consultation tables: %w", err)
		}
		return d.guard(tx)
	})
	if err != nil {
		return fmt.Errorf("migrate case schema: %w", err)
	}
	return nil
}

// dialect holds the migration steps that cannot be written in portable SQL.
type dialect struct {
	// lock serialises concurrent migrations inside the migration
	// transaction.
	lock func(tx *gorm.DB) error
	// guard makes the database itself refuse changes to case_events.
	guard func(tx *gorm.DB) error
}

func dialectOf(db *gorm.DB) dialect {
	switch db.Dialector.Name() {
	case "postgres":
		return dialect{lock: postgresLock, guard: postgresGuard}
	default:
		// SQLite has a single writer per file and OpenSQLite begins every
		// transaction IMMEDIATE, so migrations cannot interleave.
		noop := func(*gorm.DB) error { return nil }
		return dialect{lock: noop, guard: sqliteGuard}
	}
}

func postgresLock(tx *gorm.DB) error {
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLockKey).Error; err != nil {
		return fmt.Errorf("lock migration: %w", err)
	}
	return nil
}

// postgresGuardSQL installs a trigger raising on any UPDATE, DELETE or
// TRUNCATE of case_events. Every statement is safe to run again.
var postgresGuardSQL = []string{
	`CREATE OR REPLACE FUNCTION case_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'case_events is append-only: % refused', TG_OP
		USING ERRCODE = 'restrict_violation';
END
$$`,
	`DROP TRIGGER IF EXISTS case_events_append_only ON case_events`,
	`CREATE TRIGGER case_events_append_only
BEFORE UPDATE OR DELETE ON case_events
FOR EACH ROW EXECUTE FUNCTION case_events_append_only()`,
	`DROP TRIGGER IF EXISTS case_events_no_truncate ON case_events`,
	`CREATE TRIGGER case_events_no_truncate
BEFORE TRUNCATE ON case_events
FOR EACH STATEMENT EXECUTE FUNCTION case_events_append_only()`,
}

func postgresGuard(tx *gorm.DB) error {
	for _, stmt := range postgresGuardSQL {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("install case_events guard: %w", err)
		}
	}
	return nil
}

// sqliteGuardSQL installs triggers aborting any UPDATE or DELETE of
// case_events. SQLite has no TRUNCATE: DELETE without WHERE fires the
// trigger too, since triggers disable the truncate optimisation.
var sqliteGuardSQL = []string{
	`CREATE TRIGGER IF NOT EXISTS case_events_no_update
BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only: UPDATE refused'); END`,
	`CREATE TRIGGER IF NOT EXISTS case_events_no_delete
BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only: DELETE refused'); END`,
}

func sqliteGuard(tx *gorm.DB) error {
	for _, stmt := range sqliteGuardSQL {
		if err := tx.Exec(stmt).Error; err != nil {
			return fmt.Errorf("install case_events guard: %w", err)
		}
	}
	return nil
}
