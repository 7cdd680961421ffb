#pragma once
// The Hugging Face access token where huggingface_hub keeps it, so the token a user gave
// `huggingface-cli login` (or HF_TOKEN) works here too, and one saved here works there. The token
// never goes into QSettings: it is a password.

#include <QString>

namespace vltune {

// Where a token came from.
enum class HubTokenSource { None, Environment, File };

struct HubToken
{
    QString value;                               // "" = none
    HubTokenSource source = HubTokenSource::None;  // HF_TOKEN or the token file
};

// huggingface_hub's home: $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
QString hfHomeDir();
// Its token file: $HF_TOKEN_PATH, else <hfHomeDir()>/token.
QString hubTokenPath();

// The token huggingface_hub would use: $HF_TOKEN, else the token file's contents (trimmed).
HubToken readHubToken();

// Writes `token` to hubTokenPath() readable by the user only (0600), replacing it atomically, as
// `huggingface-cli login` does. Returns "" or what went wrong, naming the file.
QString saveHubToken(const QString &token);

}  // namespace vltune
