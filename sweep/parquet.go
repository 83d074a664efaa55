package sweep

import (
	"fmt"
	"io"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

// WriteParquet writes the runs table of WriteCSV (same columns, same order, one row per
// run) as a Parquet file, for pandas.read_parquet and Arrow: run_id, status, error and
// text parameters are STRING, numeric metrics and float parameters DOUBLE, integer counts
// and integer parameters INT64 (unsigned ones annotated UINT(64)), booleans BOOLEAN. Every
// column but run_id, index and status is optional: a missing number (an unfinished run,
// NaN or ±Inf) is null, which pandas reads as NaN/None, as it reads runs.csv's empty
// cells.
func WriteParquet(w io.Writer, results []Result, th Thresholds) error {
	cols, rows := runsTable(results, th)
	group := orderedGroup{Group: parquet.Group{}}
	for _, c := range cols {
		var n parquet.Node
		switch c.Kind {
		case KindString:
			n = parquet.String()
		case KindInt:
			n = parquet.Int(64)
		case KindUint:
			n = parquet.Uint(64)
		case KindFloat:
			n = parquet.Leaf(parquet.DoubleType)
		case KindBool:
			n = parquet.Leaf(parquet.BooleanType)
		}
		if !c.Required {
			n = parquet.Optional(n)
		}
		if _, dup := group.Group[c.Name]; dup {
			panic("sweep: WriteParquet: duplicate column " + c.Name)
		}
		group.Group[c.Name] = n
		group.order = append(group.order, c.Name)
	}
	schema := parquet.NewSchema("runs", group)
	pw := parquet.NewWriter(w, schema, parquet.Compression(&parquet.Snappy))
	prows := make([]parquet.Row, len(rows))
	for i, row := range rows {
		pr := make(parquet.Row, len(cols))
		for j, c := range row {
			v, err := parquetValue(cols[j].Kind, c)
			if err != nil {
				return fmt.Errorf("sweep: runs.parquet column %s: %w", cols[j].Name, err)
			}
			// Flat schema: repetition level 0; definition level 1 marks a present value of
			// an optional column, 0 a null one or any value of a required column.
			def := 0
			if !cols[j].Required && !c.Missing {
				def = 1
			}
			pr[j] = v.Level(0, def, j)
		}
		prows[i] = pr
	}
	if _, err := pw.WriteRows(prows); err != nil {
		return fmt.Errorf("sweep: writing runs.parquet: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("sweep: writing runs.parquet: %w", err)
	}
	return nil
}

// parquetValue converts a cell's text (as runs.csv has it) to a Parquet value of kind k.
// runsTable only gives a column a non-text kind when every value parses, so an error here
// means a metric was formatted wrongly.
func parquetValue(k ColumnKind, c cell) (parquet.Value, error) {
	if c.Missing {
		return parquet.NullValue(), nil
	}
	switch k {
	case KindInt:
		n, err := strconv.ParseInt(c.Text, 10, 64)
		return parquet.Int64Value(n), err
	case KindUint:
		n, err := strconv.ParseUint(c.Text, 10, 64)
		return parquet.Int64Value(int64(n)), err // UINT(64) stores the bits in INT64
	case KindFloat:
		f, err := strconv.ParseFloat(c.Text, 64)
		return parquet.DoubleValue(f), err
	case KindBool:
		b, err := strconv.ParseBool(c.Text)
		return parquet.BooleanValue(b), err
	}
	return parquet.ByteArrayValue([]byte(c.Text)), nil
}

// orderedGroup is a Parquet group whose fields keep the given order: parquet.Group, a map,
// lists them alphabetically, but runs.parquet must have runs.csv's column order
// (parquet-go's own variant groups use the same device).
type orderedGroup struct {
	parquet.Group
	order []string
}

// Fields returns the group's fields in order.
func (g orderedGroup) Fields() []parquet.Field {
	fields := g.Group.Fields()
	rank := make(map[string]int, len(g.order))
	for i, name := range g.order {
		rank[name] = i
	}
	out := make([]parquet.Field, len(fields))
	for _, f := range fields {
		out[rank[f.Name()]] = f
	}
	return out
}
