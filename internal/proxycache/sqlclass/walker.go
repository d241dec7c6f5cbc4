package sqlclass

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// systemSchemas are the schemas whose tables describe the server rather than
// the application's data; reading them is never cached.
var systemSchemas = setOf("information_schema", "performance_schema", "mysql", "sys")

// walker visits one statement's AST (it implements ast.Visitor). It collects
// the tables the statement names, telling write targets from reads, CTE
// references and aliases from tables, and records the properties of its
// query blocks that make a SELECT uncacheable.
//
// Write targets are decided by the statement-level analysis before the walk
// (see analyze) and recorded with write; the walk then skips those names.
type walker struct {
	db     string // the current database, lower-cased
	skip   map[*ast.TableName]struct{}
	scopes []cteScope
	reads  refList
	writes refList

	locking       bool // FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE
	noCache       bool // SQL_NO_CACHE
	calcFoundRows bool // SQL_CALC_FOUND_ROWS
	nondet        bool // a non-deterministic or unknown function
	variables     bool // @user or @@system variables
	into          bool // SELECT ... INTO
	systemSchema  bool // reads a system schema
}

// cteScope holds the CTE names a WITH clause makes visible, from its owner
// statement's entry until the owner is left.
type cteScope struct {
	owner ast.Node
	with  *ast.WithClause
	names []string
}

func newWalker(currentDB string) *walker {
	return &walker{db: strings.ToLower(currentDB)}
}

// resolve turns a table name into a TableRef, defaulting the schema to the
// current database.
func (w *walker) resolve(t *ast.TableName) TableRef {
	schema := t.Schema.L
	if schema == "" {
		schema = w.db
	}
	return TableRef{Schema: schema, Name: t.Name.L}
}

// ignore makes the walk skip t: it is an alias or a name handled already.
func (w *walker) ignore(t *ast.TableName) {
	if w.skip == nil {
		w.skip = make(map[*ast.TableName]struct{})
	}
	w.skip[t] = struct{}{}
}

// write records t as a write target; the walk will not count it as a read.
func (w *walker) write(t *ast.TableName) {
	if t == nil {
		return
	}
	w.ignore(t)
	w.writes.add(w.resolve(t))
}

// read records t as read, unless the walk should skip it or it names a CTE.
func (w *walker) read(t *ast.TableName) {
	if _, ok := w.skip[t]; ok {
		return
	}
	if t.Schema.L == "" && w.isCTE(t.Name.L) {
		return
	}
	ref := w.resolve(t)
	if _, ok := systemSchemas[ref.Schema]; ok {
		w.systemSchema = true
	}
	w.reads.add(ref)
}

// isCTE reports whether an unqualified name refers to a CTE in scope.
func (w *walker) isCTE(name string) bool {
	for i := len(w.scopes) - 1; i >= 0; i-- {
		for _, n := range w.scopes[i].names {
			if n == name {
				return true
			}
		}
	}
	return false
}

// walk visits n and everything below it.
func (w *walker) walk(n ast.Node) {
	if n != nil {
		n.Accept(w)
	}
}

// Enter implements ast.Visitor.
func (w *walker) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SelectStmt:
		w.openScope(x, x.With)
		w.selectOptions(x)
	case *ast.SetOprStmt:
		w.openScope(x, x.With)
	case *ast.SetOprSelectList:
		w.openScope(x, x.With)
	case *ast.UpdateStmt:
		w.openScope(x, x.With)
	case *ast.DeleteStmt:
		w.openScope(x, x.With)
	case *ast.WithClause:
		w.enterWith(x)
		return n, true
	case *ast.TableName:
		w.read(x)
	case *ast.FuncCallExpr:
		if !deterministicCall(x) {
			w.nondet = true
		}
	case *ast.VariableExpr:
		w.variables = true
	}
	return n, false
}

// Leave implements ast.Visitor.
func (w *walker) Leave(n ast.Node) (ast.Node, bool) {
	if k := len(w.scopes); k > 0 && w.scopes[k-1].owner == n {
		w.scopes = w.scopes[:k-1]
	}
	return n, true
}

// openScope opens the CTE scope of a statement with a WITH clause. The
// parser may hang one WITH clause on two nested nodes; each gets a scope.
func (w *walker) openScope(owner ast.Node, with *ast.WithClause) {
	if with != nil {
		w.scopes = append(w.scopes, cteScope{owner: owner, with: with})
	}
}

// enterWith walks the CTE definitions of with in order, making each name
// visible to the definitions after it (and to itself when recursive) and to
// the owner's body. A WITH clause without an open scope (not expected) has
// its queries walked with no name registered: its CTEs then count as tables,
// which errs on the safe side.
func (w *walker) enterWith(with *ast.WithClause) {
	scope := -1
	for i := len(w.scopes) - 1; i >= 0; i-- {
		if w.scopes[i].with == with {
			scope = i
			break
		}
	}
	for _, cte := range with.CTEs {
		recursive := with.IsRecursive || cte.IsRecursive
		if scope >= 0 && recursive {
			w.scopes[scope].names = append(w.scopes[scope].names, cte.Name.L)
		}
		if cte.Query != nil {
			w.walk(cte.Query)
		}
		if scope >= 0 && !recursive {
			w.scopes[scope].names = append(w.scopes[scope].names, cte.Name.L)
		}
	}
}

// selectOptions records the options of one query block.
func (w *walker) selectOptions(s *ast.SelectStmt) {
	if o := s.SelectStmtOpts; o != nil {
		if !o.SQLCache {
			w.noCache = true
		}
		if o.CalcFoundRows {
			w.calcFoundRows = true
		}
	}
	if s.LockInfo != nil && s.LockInfo.LockType != ast.SelectLockNone {
		w.locking = true
		// FOR UPDATE OF t names tables (or aliases) already in FROM.
		for _, t := range s.LockInfo.Tables {
			w.ignore(t)
		}
	}
	if s.SelectIntoOpt != nil {
		w.into = true
	}
}

// selectReason returns why a SELECT is not cacheable, or ReasonNone. When
// several reasons apply the first in this order wins: select_into,
// locking_read, sql_no_cache, nondeterministic, variables, system_schema.
func (w *walker) selectReason() Reason {
	switch {
	case w.into:
		return ReasonSelectInto
	case w.locking:
		return ReasonLockingRead
	case w.noCache:
		return ReasonNoCache
	case w.nondet || w.calcFoundRows:
		return ReasonNondeterministic
	case w.variables:
		return ReasonVariables
	case w.systemSchema:
		return ReasonSystemSchema
	}
	return ReasonNone
}
