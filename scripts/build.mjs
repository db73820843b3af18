// `npm run build`: dist/ afresh from src/ (install/ensure.mjs, build).
import { build } from "../install/ensure.mjs";

build();
