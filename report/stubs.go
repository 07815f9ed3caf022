package report

import (
	"context"
	"errors"
	"io"
)

type PDFOptions struct{ FontPath string }

func WritePDF(ctx context.Context, w io.Writer, r *Report, o PDFOptions) error {
	return errors.New("todo")
}
func WriteDFXML(ctx context.Context, w io.Writer, r *Report) error { return errors.New("todo") }
