package raft

import (
	"encoding/binary"
	"errors"

	"github.com/vaultd/vaultd/storage"
)

// commandVersion leads every command so the encoding can change later.
const commandVersion byte = 1

// encodeOps turns one atomic commit into a Raft log entry's data: the
// version, the op count, then per op a delete flag and the length-prefixed
// key and value.
func encodeOps(ops []storage.Op) []byte {
	size := 1 + binary.MaxVarintLen64
	for _, op := range ops {
		size += 1 + 2*binary.MaxVarintLen64 + len(op.Key) + len(op.Value)
	}
	buf := make([]byte, 0, size)
	buf = append(buf, commandVersion)
	buf = binary.AppendUvarint(buf, uint64(len(ops)))
	for _, op := range ops {
		var del byte
		if op.Delete {
			del = 1
		}
		buf = append(buf, del)
		buf = binary.AppendUvarint(buf, uint64(len(op.Key)))
		buf = append(buf, op.Key...)
		buf = binary.AppendUvarint(buf, uint64(len(op.Value)))
		buf = append(buf, op.Value...)
	}
	return buf
}

var errBadCommand = errors.New("raft: malformed command")

// decodeOps reverses encodeOps. Values alias data, which the FSM only reads
// inside the transaction that applies them.
func decodeOps(data []byte) ([]storage.Op, error) {
	if len(data) < 1 || data[0] != commandVersion {
		return nil, errBadCommand
	}
	n, used := binary.Uvarint(data[1:])
	if used <= 0 || n > uint64(len(data)) {
		return nil, errBadCommand
	}
	rest := data[1+used:]
	ops := make([]storage.Op, 0, n)
	for range n {
		if len(rest) < 1 {
			return nil, errBadCommand
		}
		op := storage.Op{Delete: rest[0] == 1}
		key, after, err := readChunk(rest[1:])
		if err != nil {
			return nil, errBadCommand
		}
		value, after, err := readChunk(after)
		if err != nil {
			return nil, errBadCommand
		}
		op.Key, op.Value, rest = string(key), value, after
		ops = append(ops, op)
	}
	if len(rest) != 0 {
		return nil, errBadCommand
	}
	return ops, nil
}
