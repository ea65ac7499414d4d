package dextest

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// Dex's sub for a user who came through a connector is not the upstream
// subject but both the upstream subject (Dex's user id) and the connector
// id: the protobuf message
//
//	message IDTokenSubject { string user_id = 1; string conn_id = 2; }
//
// serialised and base64url-encoded without padding (Dex's
// server/internal/codec.go). So the same upstream subject has a different
// sub through each connector. The two functions below are that encoding,
// written out so the tests need no protobuf library.

// EncodeSubject returns the sub Dex gives userID through connectorID.
func EncodeSubject(userID, connectorID string) string {
	var b []byte
	b = appendField(b, 1, userID)
	b = appendField(b, 2, connectorID)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeSubject splits a Dex sub into the upstream user id and the
// connector id.
func DecodeSubject(sub string) (userID, connectorID string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(sub)
	if err != nil {
		return "", "", fmt.Errorf("dex subject %q is not base64url: %w", sub, err)
	}
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return "", "", errors.New("dex subject: bad field key")
		}
		b = b[n:]
		if key&7 != 2 { // length-delimited, as strings are
			return "", "", fmt.Errorf("dex subject: field %d has wire type %d, want 2", key>>3, key&7)
		}
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return "", "", errors.New("dex subject: bad field length")
		}
		val := string(b[n : n+int(size)])
		b = b[n+int(size):]
		switch key >> 3 {
		case 1:
			userID = val
		case 2:
			connectorID = val
		}
	}
	return userID, connectorID, nil
}

func appendField(b []byte, field uint64, val string) []byte {
	if val == "" { // proto3 leaves empty strings out
		return b
	}
	b = binary.AppendUvarint(b, field<<3|2)
	b = binary.AppendUvarint(b, uint64(len(val)))
	return append(b, val...)
}
