/* SPDX-License-Identifier: MIT */
/*
 * The test enclave (enclaves/test), built into the softsgx command so that
 * `softsgx demo` needs no file: the bytes of the ELF image that the build
 * made, between demo_enclave_image and demo_enclave_image_end (image.h).
 * SOFTSGX_DEMO_ENCLAVE is its path, a string given by the build.
 */
	.section .rodata.demo_enclave_image, "a", @progbits
	.balign 64
	.globl demo_enclave_image
	.type demo_enclave_image, @object
demo_enclave_image:
	.incbin SOFTSGX_DEMO_ENCLAVE
	.size demo_enclave_image, . - demo_enclave_image
	.globl demo_enclave_image_end
	.type demo_enclave_image_end, @object
demo_enclave_image_end:
	.size demo_enclave_image_end, 0

	.section .note.GNU-stack, "", @progbits
