// SPDX-License-Identifier: GPL-2.0
/*
 * Which KVM mode a kernel reached, from its own words. The host reads it off
 * the console while the guest boots, the guest (`itsperf vm info`) from
 * dmesg: both call pkvm_mode_from_line(), so they cannot disagree.
 *
 * arch/arm64/kvm/arm.c prints exactly one of (6.12: "%s%sVHE mode ...",
 * 6.1: three fixed strings):
 *   "Protected hVHE mode initialized successfully"   (6.12, -cpu max)
 *   "Protected nVHE mode initialized successfully"   (6.1; 6.12 with hvhe=0 vh=0)
 *   "Hyp nVHE mode initialized successfully"         (6.12, kvm-arm.mode=nvhe)
 *   "Hyp hVHE mode initialized successfully"         (6.12, unprotected hVHE)
 *   "Hyp mode initialized successfully"              (6.1, kvm-arm.mode=nvhe)
 *   "VHE mode initialized successfully"              (no EL2 separation: e.g.
 *                                                     arm64_sw.hvhe=0 alone)
 * Every other one ends in "VHE mode initialized successfully" too, so the
 * VHE entry must match the word alone and come last.
 */
#include <string.h>

#include "lib/util.h"
#include "vm/vm.h"

static const struct {
	const char *text;
	enum pkvm_mode mode;
} mode_lines[] = {
	{ "Protected hVHE mode initialized successfully", PKVM_MODE_PROTECTED_HVHE },
	{ "Protected nVHE mode initialized successfully", PKVM_MODE_PROTECTED_NVHE },
	{ "Hyp hVHE mode initialized successfully", PKVM_MODE_HVHE },
	{ "Hyp nVHE mode initialized successfully", PKVM_MODE_NVHE },
	{ "Hyp mode initialized successfully", PKVM_MODE_NVHE },
	{ ": VHE mode initialized successfully", PKVM_MODE_VHE },
};

const char *pkvm_mode_name(enum pkvm_mode m)
{
	switch (m) {
	case PKVM_MODE_PROTECTED_HVHE:
		return "protected-hvhe";
	case PKVM_MODE_PROTECTED_NVHE:
		return "protected-nvhe";
	case PKVM_MODE_NVHE:
		return "nvhe";
	case PKVM_MODE_HVHE:
		return "hvhe";
	case PKVM_MODE_VHE:
		return "vhe";
	case PKVM_MODE_UNKNOWN:
		break;
	}
	return "none";
}

enum pkvm_mode pkvm_mode_from_line(const char *line)
{
	size_t i;

	if (!strstr(line, "mode initialized successfully"))
		return PKVM_MODE_UNKNOWN;
	for (i = 0; i < ARRAY_SIZE(mode_lines); i++)
		if (strstr(line, mode_lines[i].text))
			return mode_lines[i].mode;
	return PKVM_MODE_UNKNOWN;
}

enum pkvm_mode pkvm_mode_from_log(const char *log)
{
	enum pkvm_mode mode = PKVM_MODE_UNKNOWN;
	enum pkvm_mode m;
	const char *p = log;
	const char *nl;
	char line[512];
	size_t n;

	while (*p) {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		m = pkvm_mode_from_line(line);
		if (m != PKVM_MODE_UNKNOWN)
			mode = m;
		if (!nl)
			break;
		p = nl + 1;
	}
	return mode;
}

bool vm_mode_satisfied(enum vm_mode_req req, enum pkvm_mode reached)
{
	switch (req) {
	case VM_MODE_PROTECTED:
		return reached == PKVM_MODE_PROTECTED_HVHE || reached == PKVM_MODE_PROTECTED_NVHE;
	case VM_MODE_PROTECTED_NVHE:
		return reached == PKVM_MODE_PROTECTED_NVHE;
	case VM_MODE_NVHE:
		return reached == PKVM_MODE_NVHE;
	}
	return false;
}

static const char *const req_names[] = {
	[VM_MODE_PROTECTED] = "protected",
	[VM_MODE_PROTECTED_NVHE] = "protected-nvhe",
	[VM_MODE_NVHE] = "nvhe",
};

const char *vm_mode_req_name(enum vm_mode_req req)
{
	return req_names[req];
}

int vm_mode_req_parse(const char *s, enum vm_mode_req *req)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(req_names); i++) {
		if (!strcmp(s, req_names[i])) {
			*req = i;
			return 0;
		}
	}
	return -1;
}
