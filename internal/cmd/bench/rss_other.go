//go:build !linux

package main

import (
	"os"
	"syscall"
)

// Peak memory is measured on Linux only (ru_maxrss is in different units
// elsewhere); on other systems the table shows it as unknown.

func childSysProcAttr() *syscall.SysProcAttr { return nil }

func maxRSSKiB(*os.ProcessState) (int64, bool) { return 0, false }

func exitSignal(*os.ProcessState) (syscall.Signal, bool) { return 0, false }
