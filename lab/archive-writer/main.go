// Command archive-writer packs a directory with Go's archive/tar or
// archive/zip, so the archive tests read what Go-built release tooling
// (GoReleaser among them) writes:
//
//	archive-writer tar-pax|tar-gnu|tar-ustar|zip-deflate|zip-store OUT DIR
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: archive-writer FORMAT OUT DIR")
		os.Exit(2)
	}
	format, out, dir := os.Args[1], os.Args[2], os.Args[3]
	file, err := os.Create(out)
	if err == nil {
		switch format {
		case "tar-pax":
			err = writeTar(file, dir, tar.FormatPAX)
		case "tar-gnu":
			err = writeTar(file, dir, tar.FormatGNU)
		case "tar-ustar":
			err = writeTar(file, dir, tar.FormatUSTAR)
		case "zip-deflate":
			err = writeZip(file, dir, zip.Deflate)
		case "zip-store":
			err = writeZip(file, dir, zip.Store)
		default:
			err = fmt.Errorf("unknown format %q", format)
		}
	}
	if err == nil {
		err = file.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// walk calls visit for everything under dir but dir itself, in lexical order.
func walk(dir string, visit func(name string, info fs.FileInfo, path string) error) error {
	return filepath.Walk(dir, func(path string, info fs.FileInfo, err error) error {
		if err != nil || path == dir {
			return err
		}
		name, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		return visit(filepath.ToSlash(name), info, path)
	})
}

func writeTar(out io.Writer, dir string, format tar.Format) error {
	compressed := gzip.NewWriter(out)
	archive := tar.NewWriter(compressed)
	err := walk(dir, func(name string, info fs.FileInfo, path string) error {
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			link = target
		}
		header, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		header.Name = name
		if info.IsDir() {
			header.Name += "/"
		}
		header.Format = format
		if format == tar.FormatUSTAR {
			// USTAR has one time field, in whole seconds.
			header.ModTime = header.ModTime.Truncate(time.Second)
			header.AccessTime = time.Time{}
			header.ChangeTime = time.Time{}
		}
		if err := archive.WriteHeader(header); err != nil {
			return err
		}
		return copyRegular(archive, info, path)
	})
	if err != nil {
		return err
	}
	if err := archive.Close(); err != nil {
		return err
	}
	return compressed.Close()
}

func writeZip(out io.Writer, dir string, method uint16) error {
	archive := zip.NewWriter(out)
	err := walk(dir, func(name string, info fs.FileInfo, path string) error {
		header, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		header.Name = name
		if info.IsDir() {
			header.Name += "/"
		} else {
			header.Method = method
		}
		writer, err := archive.CreateHeader(header)
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			_, err = io.WriteString(writer, target)
			return err
		}
		return copyRegular(writer, info, path)
	})
	if err != nil {
		return err
	}
	return archive.Close()
}

func copyRegular(to io.Writer, info fs.FileInfo, path string) error {
	if !info.Mode().IsRegular() {
		return nil
	}
	from, err := os.Open(path)
	if err != nil {
		return err
	}
	defer from.Close()
	_, err = io.Copy(to, from)
	return err
}
