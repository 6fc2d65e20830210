/* commands.c - the dispatch table: name, function, one-line help. */
#include "commands.h"

const rgs_command rgs_commands[] = {
  { "tokens", rgs_cmd_tokens, N_("list slots and tokens with their pkcs11: URIs and PIN state") },
  { "check", rgs_cmd_check, N_("check the token (and a key) against RGS**") },
  { "keygen", rgs_cmd_keygen, N_("generate an RGS** key pair on the token") },
  { "csr", rgs_cmd_csr, N_("build a SHA-256 certificate request signed on the token") },
  { "start", rgs_cmd_start, N_("check, generate the key and build the CSR in one go") },
};
const size_t rgs_n_commands = RGS_ARRAY_LEN(rgs_commands);
