/* SPDX-License-Identifier: MIT */
/* The test enclave's ELF image, built into the command (image.S). */
#ifndef SOFTSGX_TOOLS_IMAGE_H
#define SOFTSGX_TOOLS_IMAGE_H

extern const unsigned char demo_enclave_image[];
extern const unsigned char demo_enclave_image_end[];

#endif /* SOFTSGX_TOOLS_IMAGE_H */
