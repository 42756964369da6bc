package firestore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync/atomic"
	"time"

	fs "cloud.google.com/go/firestore"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/steward-dev/steward/approvals"
)

// DefaultCallTimeout bounds one store call, transaction retries included,
// so that a Firestore outage surfaces as an error instead of a hang.
const DefaultCallTimeout = 10 * time.Second

// ErrUnavailable is wrapped by every error caused by Firestore not
// answering (down, unreachable, or slower than Config.CallTimeout).
var ErrUnavailable = errors.New("firestore is unavailable")

// Config says which Firestore database to use.
type Config struct {
	// ProjectID is the Google Cloud project; GOOGLE_CLOUD_PROJECT when empty.
	ProjectID string
	// DatabaseID is the Firestore database; "(default)" when empty.
	DatabaseID string
	// EmulatorHost is the host:port of a Firestore emulator;
	// FIRESTORE_EMULATOR_HOST when empty. Set it in tests instead of the
	// environment variable, so parallel tests can use different emulators.
	EmulatorHost string
	// CallTimeout bounds every store call; DefaultCallTimeout when zero.
	CallTimeout time.Duration
	// Logger receives connection events; slog.Default() when nil.
	Logger *slog.Logger
}

// Store is an approvals.Store on Cloud Firestore.
type Store struct {
	client  *fs.Client
	conn    *grpc.ClientConn // emulator connection, closed with the store
	timeout time.Duration
	where   string // "project P database D" or with the emulator host, for errors
	log     *slog.Logger
	closed  atomic.Bool
}

// errClosed: a call on a store after Close.
var errClosed = errors.New("the firestore store is closed")

var _ approvals.Store = (*Store)(nil)

// emulatorCreds authenticates to the emulator as its admin, exactly as the
// firestore package does when FIRESTORE_EMULATOR_HOST is set.
type emulatorCreds struct{}

func (emulatorCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer owner"}, nil
}
func (emulatorCreds) RequireTransportSecurity() bool { return false }

// Open connects to Firestore and checks that the database answers.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.ProjectID == "" {
		cfg.ProjectID = os.Getenv("GOOGLE_CLOUD_PROJECT")
	}
	if cfg.ProjectID == "" {
		return nil, errors.New("opening firestore store: no project: set GOOGLE_CLOUD_PROJECT or use firestore://PROJECT/DATABASE")
	}
	if cfg.DatabaseID == "" {
		cfg.DatabaseID = fs.DefaultDatabaseID
	}
	if cfg.EmulatorHost == "" {
		cfg.EmulatorHost = os.Getenv("FIRESTORE_EMULATOR_HOST")
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Store{timeout: cfg.CallTimeout, log: cfg.Logger,
		where: fmt.Sprintf("project %s database %s", cfg.ProjectID, cfg.DatabaseID)}

	var opts []option.ClientOption
	if cfg.EmulatorHost != "" {
		host := strings.TrimPrefix(strings.TrimPrefix(cfg.EmulatorHost, "http://"), "https://")
		s.where = fmt.Sprintf("emulator %s, %s", host, s.where)
		// Short reconnect backoff: after an emulator restart the store should
		// work again within a second or two, not after gRPC's default of up to two minutes.
		conn, err := grpc.NewClient("passthrough:///"+host,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(emulatorCreds{}),
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
				MinConnectTimeout: 2 * time.Second,
			}),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32), grpc.MaxCallSendMsgSize(math.MaxInt32)),
		)
		if err != nil {
			return nil, fmt.Errorf("opening firestore store: connecting to the emulator at %s: %w", host, err)
		}
		s.conn = conn
		opts = append(opts, option.WithGRPCConn(conn))
	}
	client, err := fs.NewClientWithDatabase(ctx, cfg.ProjectID, cfg.DatabaseID, opts...)
	if err != nil {
		if s.conn != nil {
			_ = s.conn.Close()
		}
		return nil, fmt.Errorf("opening firestore store (%s): %w", s.where, err)
	}
	if s.conn != nil {
		client.UsesEmulator = true
	}
	s.client = client

	// One read, so a wrong project, database or permission shows up now.
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	_, err = s.client.Collection(colClaims).Doc("__steward_ping").Get(cctx)
	if err != nil && status.Code(err) != codes.NotFound {
		_ = s.Close()
		return nil, s.fail(cctx, "opening firestore store", err)
	}
	s.log.Info("firestore store open", "where", s.where)
	return s, nil
}

// Close releases the client. A second Close is harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	err := s.client.Close()
	if s.conn != nil {
		// The client may have closed the connection already; a second
		// close only reports that.
		_ = s.conn.Close()
	}
	return err
}

// callCtx bounds one store call.
func (s *Store) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// fail wraps err with what was being done, mapping Firestore's codes to the
// store's errors. Errors the store made itself (approvals.ErrNotFound and
// friends, *DecidedError) pass through unchanged inside the wrap.
func (s *Store) fail(ctx context.Context, what string, err error) error {
	st, isStatus := status.FromError(err)
	if !isStatus {
		// Our own errors (approvals.ErrNotFound, *DecidedError, ...) and
		// ApplyReview's pass through, wrapped with what was being done.
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return fmt.Errorf("%s: %w (%s): no answer within %s: %w", what, ErrUnavailable, s.where, s.timeout, err)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	switch st.Code() {
	case codes.Unavailable:
		return fmt.Errorf("%s: %w (%s): %w", what, ErrUnavailable, s.where, err)
	case codes.DeadlineExceeded:
		return fmt.Errorf("%s: %w (%s): no answer within %s: %w", what, ErrUnavailable, s.where, s.timeout, err)
	case codes.AlreadyExists:
		return fmt.Errorf("%s: %w: %w", what, approvals.ErrConflict, err)
	case codes.NotFound:
		return fmt.Errorf("%s: %w: %w", what, approvals.ErrNotFound, err)
	case codes.PermissionDenied, codes.Unauthenticated:
		return fmt.Errorf("%s: firestore refused the credentials (%s): %w", what, s.where, err)
	case codes.Canceled:
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s (%s): %w", what, s.where, err)
}

// get reads one document outside a transaction, bounded by the call timeout.
func (s *Store) get(ctx context.Context, what string, ref *fs.DocumentRef, into any) (bool, error) {
	if s.closed.Load() {
		return false, fmt.Errorf("%s: %w", what, errClosed)
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	snap, err := ref.Get(cctx)
	if status.Code(err) == codes.NotFound {
		return false, nil
	}
	if err != nil {
		return false, s.fail(cctx, what, err)
	}
	if err := snap.DataTo(into); err != nil {
		return false, fmt.Errorf("%s: decoding %s: %w", what, ref.Path, err)
	}
	return true, nil
}

// query runs q outside a transaction and decodes every document with decode.
func (s *Store) query(ctx context.Context, what string, q fs.Query, decode func(*fs.DocumentSnapshot) error) error {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", what, errClosed)
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	snaps, err := q.Documents(cctx).GetAll()
	if err != nil {
		return s.fail(cctx, what, err)
	}
	for _, snap := range snaps {
		if err := decode(snap); err != nil {
			return fmt.Errorf("%s: decoding %s: %w", what, snap.Ref.Path, err)
		}
	}
	return nil
}

// Collection names.
const (
	colPolicies        = "policies"
	colVersions        = "versions"
	colRequests        = "requests"
	colGrants          = "grants"
	colAudit           = "audit"
	colClaims          = "claims"
	colLeases          = "leases"
	colMessageRefs     = "messagerefs"
	colKinds           = "kinds"
	colRecerts         = "recerts"
	colRecommendations = "recommendations"
	colUsage           = "usage"
	colWorkspaces      = "workspaces"
)

// docID turns a record id into a Firestore document id. Firestore forbids
// '/', ids "." and "..", and ids of the form __x__; '%' and '|' are escaped
// too so the mapping is one-to-one and '|' can join two ids.
func docID(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		switch c := id[i]; c {
		case '%', '/', '|':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	switch {
	case out == "." || out == "..":
		out = strings.ReplaceAll(out, ".", "%2E")
	case strings.HasPrefix(out, "__"):
		out = "%5F" + out[1:]
	}
	return out
}

func (s *Store) doc(collection, id string) *fs.DocumentRef {
	return s.client.Collection(collection).Doc(docID(id))
}

// nanos and fromNanos store times exactly; zero stays zero.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// stamp is the console-readable copy of a time; zero times are omitted.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
