package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/imshift/imshift/internal/config"
	"github.com/imshift/imshift/internal/db"
	"github.com/imshift/imshift/internal/registry"
)

// importColumns are the columns a source provides, by name; the first four
// are required.
var importColumns = []string{"user_id", "platform", "provider", "token", "app_id", "locale", "time_zone"}

const requiredColumns = 4

type importFlags struct {
	csvFile   string
	query     string
	sourceURL string
	batch     int
}

func importCommand(_ *app) *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Load device tokens from a CSV file or a SQL query against the legacy database",
		Long: `Loads devices into the registry in batches. Columns, by name (CSV header or
SQL column names): user_id, platform, provider, token, and optionally app_id,
locale, time_zone. A token the registry already has is left as it is (the API
is newer than any export, and a token found dead stays dead); for the same
token twice in the input the first row wins, so order a query by last use,
newest first. Bad rows are reported by line or row number and field, never by
value, and skipped; the command exits non-zero if any row was skipped.

The registry is IMSHIFT_DATABASE_URL; the source database is
--source-database-url or IMSHIFT_SOURCE_DATABASE_URL.`,
		Example: `  starter devices import --csv devices.csv
  starter devices import --source-database-url postgres://ro@legacy/app \
    --sql "SELECT user_id, platform, provider, token, app_id, locale, time_zone FROM legacy.tokens ORDER BY updated_at DESC"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runImport(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&f.csvFile, "csv", "", "CSV file with a header row")
	cmd.Flags().StringVar(&f.query, "sql", "", "SELECT returning the device columns")
	cmd.Flags().StringVar(&f.sourceURL, "source-database-url", "", "PostgreSQL URL the --sql query runs on (default IMSHIFT_SOURCE_DATABASE_URL)")
	cmd.Flags().IntVar(&f.batch, "batch", 1000, "devices written per statement")
	cmd.MarkFlagsMutuallyExclusive("csv", "sql")
	cmd.MarkFlagsOneRequired("csv", "sql")
	return cmd
}

func runImport(ctx context.Context, f importFlags, stdout, stderr io.Writer) error {
	if f.batch <= 0 {
		return errors.New("--batch must be positive")
	}
	dbURL, err := config.LoadDatabaseURL(nil)
	if err != nil {
		return err
	}
	src, err := openSource(ctx, f)
	if err != nil {
		return err
	}
	defer src.close()
	pool, err := db.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	st, err := importDevices(ctx, registry.New(pool), src, f.batch, stderr)
	fmt.Fprintf(stdout, "devices: %d read, %d imported, %d already registered, %d rejected\n",
		st.read, st.inserted, st.existing, st.rejected)
	if err != nil {
		return err
	}
	if st.rejected > 0 {
		return fmt.Errorf("%d rows rejected (listed above)", st.rejected)
	}
	return nil
}

func openSource(ctx context.Context, f importFlags) (source, error) {
	if f.csvFile != "" {
		return openCSV(f.csvFile)
	}
	url := f.sourceURL
	if url == "" {
		url = os.Getenv("IMSHIFT_SOURCE_DATABASE_URL")
	}
	if url == "" {
		return nil, errors.New("--sql needs --source-database-url or IMSHIFT_SOURCE_DATABASE_URL")
	}
	return openQuery(ctx, url, f.query)
}

type importStats struct{ read, inserted, existing, rejected int }

// importDevices reads src to the end, writing valid devices in batches and
// reporting invalid rows on report by position and field.
func importDevices(ctx context.Context, store *registry.Store, src source, batch int, report io.Writer) (importStats, error) {
	var st importStats
	pending := make([]registry.Device, 0, batch)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		res, err := store.Import(ctx, pending)
		if err != nil {
			return err
		}
		st.inserted += res.Inserted
		st.existing += res.Existing
		pending = pending[:0]
		return nil
	}
	for {
		d, pos, err := src.next()
		if errors.Is(err, io.EOF) {
			return st, flush()
		}
		if err != nil {
			return st, err
		}
		st.read++
		if err := d.Normalize(); err != nil {
			st.rejected++
			fmt.Fprintf(report, "%s: %v\n", pos, err)
			continue
		}
		if pending = append(pending, d); len(pending) == batch {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
}

// source yields devices and where each came from ("line 7", "row 7");
// io.EOF at the end.
type source interface {
	next() (registry.Device, string, error)
	close()
}

// columnIndex maps importColumns to positions in names; -1 when absent.
func columnIndex(names []string) ([]int, error) {
	idx := make([]int, len(importColumns))
	for i, col := range importColumns {
		idx[i] = -1
		for j, n := range names {
			if strings.EqualFold(strings.TrimSpace(n), col) {
				idx[i] = j
			}
		}
		if idx[i] < 0 && i < requiredColumns {
			return nil, fmt.Errorf("the source has no column %q (needs %s)", col, strings.Join(importColumns[:requiredColumns], ", "))
		}
	}
	return idx, nil
}

func deviceFrom(values []string, idx []int) registry.Device {
	get := func(i int) string {
		if idx[i] < 0 || idx[i] >= len(values) {
			return ""
		}
		return values[idx[i]]
	}
	return registry.Device{UserID: get(0), Platform: get(1), Provider: get(2), Token: get(3),
		AppID: get(4), Locale: get(5), TimeZone: get(6)}
}

type csvSource struct {
	f   *os.File
	r   *csv.Reader
	idx []int
}

func openCSV(path string) (*csvSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: no header row: %w", path, err)
	}
	idx, err := columnIndex(header)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &csvSource{f: f, r: r, idx: idx}, nil
}

func (s *csvSource) next() (registry.Device, string, error) {
	rec, err := s.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			// The parse error's text may quote the row; give its line only.
			return registry.Device{}, "", fmt.Errorf("line %d: not valid CSV", pe.Line)
		}
		return registry.Device{}, "", err
	}
	line, _ := s.r.FieldPos(0)
	return deviceFrom(rec, s.idx), fmt.Sprintf("line %d", line), nil
}

func (s *csvSource) close() { s.f.Close() }

type querySource struct {
	conn *pgx.Conn
	rows pgx.Rows
	idx  []int
	n    int
}

func openQuery(ctx context.Context, url, query string) (*querySource, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		// pgx errors can carry the URL's password; say only what failed.
		return nil, errors.New("cannot connect to the source database")
	}
	rows, err := conn.Query(ctx, query)
	if err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("source query: %w", err)
	}
	var names []string
	for _, fd := range rows.FieldDescriptions() {
		names = append(names, fd.Name)
	}
	idx, err := columnIndex(names)
	if err != nil {
		rows.Close()
		conn.Close(ctx)
		return nil, fmt.Errorf("source query: %w", err)
	}
	return &querySource{conn: conn, rows: rows, idx: idx}, nil
}

func (s *querySource) next() (registry.Device, string, error) {
	if !s.rows.Next() {
		if err := s.rows.Err(); err != nil {
			return registry.Device{}, "", fmt.Errorf("source query: %w", err)
		}
		return registry.Device{}, "", io.EOF
	}
	s.n++
	raw, err := s.rows.Values()
	if err != nil {
		return registry.Device{}, "", fmt.Errorf("row %d: %w", s.n, err)
	}
	values := make([]string, len(raw))
	for i, v := range raw {
		if v != nil {
			values[i] = fmt.Sprint(v)
		}
	}
	return deviceFrom(values, s.idx), fmt.Sprintf("row %d", s.n), nil
}

func (s *querySource) close() {
	s.rows.Close()
	s.conn.Close(context.Background())
}
