// Command database is the lab's database plugin: it keeps users in memory,
// which is enough for the server to start, configure and restart connections.
package main

import (
	"context"
	"fmt"
	"sync"

	"vaultfixtureplugins/fixture"

	dbplugin "github.com/hashicorp/vault/sdk/database/dbplugin/v5"
	"github.com/hashicorp/vault/sdk/logical"
)

type memoryDB struct {
	mu    sync.Mutex
	users map[string]string
}

func (db *memoryDB) Initialize(_ context.Context, req dbplugin.InitializeRequest) (dbplugin.InitializeResponse, error) {
	return dbplugin.InitializeResponse{Config: req.Config}, nil
}

func (db *memoryDB) NewUser(_ context.Context, req dbplugin.NewUserRequest) (dbplugin.NewUserResponse, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	name := fmt.Sprintf("%s-%d", req.UsernameConfig.RoleName, len(db.users)+1)
	db.users[name] = req.Password
	return dbplugin.NewUserResponse{Username: name}, nil
}

func (db *memoryDB) UpdateUser(context.Context, dbplugin.UpdateUserRequest) (dbplugin.UpdateUserResponse, error) {
	return dbplugin.UpdateUserResponse{}, nil
}

func (db *memoryDB) DeleteUser(_ context.Context, req dbplugin.DeleteUserRequest) (dbplugin.DeleteUserResponse, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	delete(db.users, req.Username)
	return dbplugin.DeleteUserResponse{}, nil
}

func (db *memoryDB) Type() (string, error) { return "lab-memory", nil }

func (db *memoryDB) Close() error { return nil }

// PluginVersion is how a database plugin reports its version to the server.
func (db *memoryDB) PluginVersion() logical.PluginVersion {
	return logical.PluginVersion{Version: fixture.Version}
}

func main() {
	dbplugin.Serve(&memoryDB{users: map[string]string{}})
}
