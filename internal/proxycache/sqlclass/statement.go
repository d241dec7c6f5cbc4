package sqlclass

import "github.com/pingcap/tidb/pkg/parser/ast"

// stmtResult is the classification of one parsed statement.
type stmtResult struct {
	kind           Kind
	reason         Reason
	reads          []TableRef
	writes         []TableRef
	invalidatesAll bool
	session        SessionEffect
}

// txIsolationOneShot is the variable the parser assigns for SET TRANSACTION
// ISOLATION LEVEL without SESSION/GLOBAL: it affects the next transaction
// only, not the session.
const txIsolationOneShot = "tx_isolation_one_shot"

// analyze classifies one statement; currentDB resolves unqualified names.
func analyze(stmt ast.StmtNode, currentDB string) stmtResult {
	w := newWalker(currentDB)
	var r stmtResult
	switch s := stmt.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		r.kind = KindSelect
		w.walk(s)
	case *ast.InsertStmt:
		r.kind = KindInsert
		if s.IsReplace {
			r.kind = KindReplace
		}
		if s.Table != nil {
			for _, src := range joinSources(s.Table.TableRefs, nil) {
				w.write(src.table)
			}
		}
		w.walk(s)
	case *ast.UpdateStmt:
		r.kind = KindUpdate
		r.invalidatesAll = updateTargets(w, s)
		w.walk(s)
	case *ast.DeleteStmt:
		r.kind = KindDelete
		r.invalidatesAll = deleteTargets(w, s)
		w.walk(s)
	case *ast.LoadDataStmt:
		r.kind = KindLoad
		w.write(s.Table)
		w.walk(s)
	case *ast.ImportIntoStmt:
		r.kind = KindLoad
		w.write(s.Table)
		w.walk(s)
	case *ast.CallStmt:
		// A procedure may write anything.
		r.kind = KindCall
		r.invalidatesAll = true
		w.walk(s)
	case *ast.SetStmt:
		r.kind = KindSet
		r.session.SetsSystemVariables = setsSystemVariables(s)
		w.walk(s)
	case *ast.SetRoleStmt:
		// The active roles decide what the session may read.
		r.kind = KindSet
		r.session.SetsSystemVariables = true
	case *ast.UseStmt:
		r.kind = KindUse
		r.session.UseDB = s.DBName
	case *ast.BeginStmt:
		r.kind = KindBegin
	case *ast.CommitStmt:
		r.kind = KindCommit
	case *ast.RollbackStmt:
		r.kind = KindRollback
	case *ast.ShowStmt:
		r.kind = KindShow
		w.walk(s)
	case *ast.ExplainStmt:
		r.kind = KindExplain
		if s.Stmt != nil {
			inner := analyze(s.Stmt, currentDB)
			w.reads.addAll(inner.reads)
			// Only EXPLAIN ANALYZE executes the statement.
			if s.Analyze {
				w.writes.addAll(inner.writes)
				r.invalidatesAll = inner.invalidatesAll
			}
		}
	case *ast.ExplainForStmt:
		r.kind = KindExplain
	case *ast.LockTablesStmt:
		r.kind = KindLock
		for _, l := range s.TableLocks {
			w.read(l.Table)
		}
	case *ast.UnlockTablesStmt:
		r.kind = KindLock
	case *ast.FlushStmt:
		r.kind = KindOther
		if s.ReadLock {
			r.kind = KindLock
		}
	case *ast.DoStmt, *ast.HelpStmt, *ast.PrepareStmt, *ast.DeallocateStmt,
		*ast.KillStmt, *ast.AnalyzeTableStmt, *ast.SavepointStmt,
		*ast.ReleaseSavepointStmt, *ast.GrantStmt, *ast.GrantRoleStmt,
		*ast.GrantProxyStmt, *ast.RevokeStmt, *ast.RevokeRoleStmt,
		*ast.CreateUserStmt, *ast.AlterUserStmt, *ast.DropUserStmt,
		*ast.RenameUserStmt, *ast.SetPwdStmt, *ast.SetDefaultRoleStmt:
		// Statements that change no table data.
		r.kind = KindOther
		w.walk(s)
	case *ast.ProcedureInfo, *ast.DropProcedureStmt:
		// Defining a procedure changes no data; its body is not run here.
		r.kind = KindDDL
	case ast.DDLNode:
		r.kind = KindDDL
		r.invalidatesAll = ddlTargets(w, &r, s)
	default:
		// EXECUTE of a prepared statement and anything this package does
		// not know may write anything.
		r.kind = KindOther
		r.invalidatesAll = true
	}

	r.reads = w.reads.slice()
	r.writes = w.writes.slice()
	for _, t := range r.writes {
		if t.Schema == "" {
			// No current database: the proxy cannot tell which table.
			r.invalidatesAll = true
		}
	}
	if r.kind == KindSelect {
		r.reason = w.selectReason()
	} else {
		r.reason = ReasonNotSelect
	}
	return r
}

// ddlTargets records the tables a DDL statement changes as writes, walks
// what it reads and fills the session effects of temporary tables. It
// reports whether the statement's targets could not be enumerated.
func ddlTargets(w *walker, r *stmtResult, stmt ast.DDLNode) (invalidatesAll bool) {
	switch s := stmt.(type) {
	case *ast.CreateTableStmt:
		w.write(s.Table)
		if s.TemporaryKeyword == ast.TemporaryLocal && s.Table != nil {
			r.session.CreatesTemporary = []TableRef{w.resolve(s.Table)}
		}
		w.walk(s) // LIKE source, CREATE ... SELECT sources, FK parents
	case *ast.DropTableStmt:
		var dropped refList
		for _, t := range s.Tables {
			w.write(t)
			dropped.add(w.resolve(t))
		}
		if !s.IsView {
			r.session.DropsTables = dropped.slice()
		}
	case *ast.AlterTableStmt:
		w.write(s.Table)
		for _, spec := range s.Specs {
			// RENAME TO and EXCHANGE PARTITION ... WITH TABLE.
			w.write(spec.NewTable)
		}
		w.walk(s)
	case *ast.RenameTableStmt:
		for _, tt := range s.TableToTables {
			w.write(tt.OldTable)
			w.write(tt.NewTable)
		}
	case *ast.TruncateTableStmt:
		w.write(s.Table)
	case *ast.CreateIndexStmt:
		w.write(s.Table)
		w.walk(s)
	case *ast.DropIndexStmt:
		w.write(s.Table)
	case *ast.CreateViewStmt:
		w.write(s.ViewName)
		w.walk(s.Select)
	case *ast.OptimizeTableStmt:
		for _, t := range s.Tables {
			w.write(t)
		}
	case *ast.CreateDatabaseStmt, *ast.AlterDatabaseStmt:
		// No table data changes.
	default:
		// DROP DATABASE and DDL whose targets are not enumerated here.
		return true
	}
	return false
}

// setsSystemVariables reports whether a SET statement assigns a session or
// system variable (SET NAMES and SET CHARACTER SET included).
func setsSystemVariables(s *ast.SetStmt) bool {
	for _, v := range s.Variables {
		switch {
		case v.Name == ast.SetNames || v.Name == ast.SetCharset:
			return true
		case v.IsSystem && v.Name != txIsolationOneShot:
			return true
		}
	}
	return false
}

// source is a table named at the top level of a FROM/UPDATE/INSERT clause,
// with its alias (lower-case, "" when none).
type source struct {
	table *ast.TableName
	alias string
}

// joinSources lists the tables of a join tree, not descending into derived
// tables. Unqualified names in ctes are CTE references and are left out.
func joinSources(n ast.ResultSetNode, ctes *ast.WithClause) []source {
	var out []source
	var visit func(ast.ResultSetNode)
	visit = func(n ast.ResultSetNode) {
		switch x := n.(type) {
		case *ast.Join:
			if x.Left != nil {
				visit(x.Left)
			}
			if x.Right != nil {
				visit(x.Right)
			}
		case *ast.TableSource:
			switch src := x.Source.(type) {
			case *ast.TableName:
				if src.Schema.L == "" && withDefines(ctes, src.Name.L) {
					return
				}
				out = append(out, source{table: src, alias: x.AsName.L})
			case *ast.Join:
				visit(src)
			}
		case *ast.TableName:
			out = append(out, source{table: x})
		}
	}
	if n != nil {
		visit(n)
	}
	return out
}

// withDefines reports whether with defines a CTE called name.
func withDefines(with *ast.WithClause, name string) bool {
	if with == nil {
		return false
	}
	for _, cte := range with.CTEs {
		if cte.Name.L == name {
			return true
		}
	}
	return false
}

// findSource returns the sources a qualifier (schema, table-or-alias) of a
// multi-table UPDATE or DELETE refers to. An unqualified name matches an
// alias, or the name of a table without alias; a schema-qualified one
// matches the table itself.
func findSource(w *walker, sources []source, schema, name string) []source {
	var out []source
	for _, s := range sources {
		switch {
		case schema == "" && (s.alias == name || (s.alias == "" && s.table.Name.L == name)):
			out = append(out, s)
		case schema != "" && w.resolve(s.table) == TableRef{Schema: schema, Name: name}:
			out = append(out, s)
		}
	}
	return out
}

// updateTargets records the tables an UPDATE writes: the one table of a
// single-table UPDATE, or the tables whose columns a multi-table UPDATE
// assigns (all of its tables when an assigned column is unqualified, since
// the parser cannot tell which table owns it). It reports whether a target
// could not be resolved.
func updateTargets(w *walker, s *ast.UpdateStmt) (unresolved bool) {
	if s.TableRefs == nil {
		return true
	}
	sources := joinSources(s.TableRefs.TableRefs, s.With)
	if len(sources) == 0 {
		return true
	}
	if len(sources) == 1 {
		w.write(sources[0].table)
		return false
	}
	for _, a := range s.List {
		col := a.Column
		if col == nil || col.Table.L == "" {
			for _, src := range sources {
				w.write(src.table)
			}
			continue
		}
		found := findSource(w, sources, col.Schema.L, col.Table.L)
		if len(found) == 0 {
			unresolved = true
		}
		for _, src := range found {
			w.write(src.table)
		}
	}
	return unresolved
}

// deleteTargets records the tables a DELETE writes: the table of a
// single-table DELETE, or the listed targets of a multi-table DELETE, which
// may be aliases of tables in its FROM/USING clause. It reports whether a
// target could not be resolved; such a target is still recorded as written
// under the name given.
func deleteTargets(w *walker, s *ast.DeleteStmt) (unresolved bool) {
	if s.TableRefs == nil {
		return true
	}
	sources := joinSources(s.TableRefs.TableRefs, s.With)
	if !s.IsMultiTable || s.Tables == nil {
		if len(sources) == 0 {
			return true
		}
		for _, src := range sources {
			w.write(src.table)
		}
		return false
	}
	for _, t := range s.Tables.Tables {
		w.ignore(t) // a target names a table of the FROM clause, or its alias
		found := findSource(w, sources, t.Schema.L, t.Name.L)
		if len(found) == 0 {
			unresolved = true
			w.writes.add(w.resolve(t))
		}
		for _, src := range found {
			w.write(src.table)
		}
	}
	return unresolved
}
