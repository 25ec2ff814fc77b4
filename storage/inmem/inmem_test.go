package inmem_test

import (
	"testing"

	"github.com/vaultd/vaultd/storage/inmem"
	"github.com/vaultd/vaultd/storage/storagetest"
)

func TestConformance(t *testing.T) {
	b := inmem.New()
	storagetest.Run(t, b)
	storagetest.CheckClosed(t, b)
}
