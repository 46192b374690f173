// Library entry point: re-exports the public API layer by layer.
export {};
