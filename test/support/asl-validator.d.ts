// asl-validator 4.0.0 ships JavaScript only; this is the part of its API the tests use (dist/src/validator.js).
declare module "asl-validator" {
  interface ValidatorOptions {
    /** Check JSONPath expressions (default true; passing options replaces all defaults). */
    checkPaths?: boolean;
    /** Check that Task Resource values are ARNs (default true). */
    checkArn?: boolean;
  }
  interface ValidationResult {
    isValid: boolean;
    errors: { message?: string }[];
    errorsText: (separator?: string) => string;
  }
  function validator(definition: unknown, options?: ValidatorOptions): ValidationResult;
  export = validator;
}
