// structuredClone exists in every browser and in Node ≥ 17, but is declared only by the DOM
// and Node type libraries, which the browser-safe build of the simulator does not load.
declare function structuredClone<T>(value: T): T;
