export { BoardSchema, boardJsonSchema, type Board } from './schema.js';
export { loadBoard, loadBoardFile, parseBoard, knownBoards, BOARDS_DIR } from './load.js';
